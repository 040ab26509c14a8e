// Integration tests start emulators, stacks and real Google clients: give them time. (Jest reads
// `testTimeout` only at the top level of its config, not per project, hence this setup file.)
jest.setTimeout(120_000);
