import { describeTransportCompliance } from '@raft/harness/compliance';
import { InMemoryNetwork } from '../src/index.js';

describeTransportCompliance('in-memory', {
  create: async (ids) => {
    const network = new InMemoryNetwork({ seed: 1 });
    return new Map(ids.map((id) => [id, network.transport(id)]));
  },
});
