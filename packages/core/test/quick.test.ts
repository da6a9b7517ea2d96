import { describe, expect, it } from 'vitest';
import { Net, ids } from './support/net.js';

describe('smoke', () => {
  it('elects a leader and commits', () => {
    const net = new Net(3);
    const [a, b, c] = ids(3) as [never, never, never];
    net.elect(a);
    net.propose(a, 'x');
    net.deliverAll();
    net.tickAll(2);
    net.deliverAll();
    expect(net.texts(a)).toEqual(['x']);
    expect(net.texts(b)).toEqual(['x']);
    expect(net.texts(c)).toEqual(['x']);
  });
});
