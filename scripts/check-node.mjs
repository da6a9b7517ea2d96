// Fails early, with a clear message, when scripts run on a Node older than 22.
// The root devDependency `node` (pinned) puts Node 24 first on PATH for pnpm scripts.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.error(`@raft/*: Node ${process.versions.node} found; Node >= 22 is required. Run scripts through pnpm so the pinned Node 24 from devDependencies is used.`);
  process.exit(1);
}
