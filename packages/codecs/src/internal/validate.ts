/**
 * Checks shared by the encoder (which refuses to write what the decoder would refuse) and the
 * decoder (which refuses to return anything that is not a valid message).
 */

/** Longest node id or cluster id, in UTF-16 code units (the `NodeId` constructor's limit). */
export const MAX_ID_LENGTH = 255;
/** Longest UTF-8 encoding of an id: 4 bytes per code point at most, ≤ 1 code point per unit. */
export const MAX_ID_BYTES: number = 4 * MAX_ID_LENGTH;

/** Why `id` is not a valid node or cluster id, or `undefined` when it is. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `must be a string, got ${typeof id}`;
  if (id.length === 0) return 'must not be empty';
  if (id.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`;
  return undefined;
}

/**
 * Why a configuration's member lists break the `ClusterConfiguration` invariant, or
 * `undefined`: a node id appears at most once across `voters` and `learners`, and at most once
 * in `oldVoters` (which may overlap both).
 */
export function configurationProblem(voters: readonly string[], learners: readonly string[], oldVoters: readonly string[] | undefined): string | undefined {
  const members = new Set<string>();
  for (const id of voters) {
    if (members.has(id)) return `node ${JSON.stringify(id)} appears twice in voters`;
    members.add(id);
  }
  for (const id of learners) {
    if (members.has(id)) return `node ${JSON.stringify(id)} is both a voter and a learner, or a learner twice`;
    members.add(id);
  }
  if (oldVoters !== undefined && new Set(oldVoters).size !== oldVoters.length) return 'a node appears twice in oldVoters';
  return undefined;
}

/** Why an InstallSnapshot chunk's geometry is inconsistent, or `undefined`. */
export function chunkProblem(offset: number, dataBytes: number, size: number): string | undefined {
  if (offset + dataBytes > size) return `chunk [${offset}, ${offset + dataBytes}) extends past the snapshot size ${size}`;
  return undefined;
}
