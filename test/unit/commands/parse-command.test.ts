import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCommandJsonSchemas, idempotencyKeyOf, parseCommand } from '../../../shared/commands';
import { InvalidCommandError } from '../../../shared/errors';
import { makeCommand } from '../../helpers/factories';

describe('parseCommand', () => {
  it('accepts a valid gpu.scale command and fills defaults', () => {
    // Act
    const command = parseCommand(makeCommand({ idempotencyKey: 'ci:run-42' }));
    // Assess
    expect(command).toEqual({
      type: 'gpu.scale',
      args: { nodes: 2 },
      actor: 'user:maria.chen@acme.ai',
      reason: 'training run for the quarterly model',
      dryRun: false,
      idempotencyKey: 'ci:run-42',
    });
  });

  it('accepts gpu.autoscaling.set with a pool', () => {
    const command = parseCommand(
      makeCommand({ type: 'gpu.autoscaling.set', args: { pool: 'gpu-a100-pool', min: 0, max: 2 } }),
    );
    expect(command.args).toEqual({ pool: 'gpu-a100-pool', min: 0, max: 2 });
  });

  it.each([
    ['not an object', 'just text', '', /JSON object/],
    ['an array', [1, 2], '', /JSON object/],
    ['an unknown type', makeCommand({ type: 'gpu.explode' }), 'type', /unknown command type "gpu\.explode"/],
    ['a negative node count', makeCommand({ args: { nodes: -1 } }), 'args.nodes', />=0/],
    ['a node count given as text', makeCommand({ args: { nodes: 'two' } }), 'args.nodes', /expected number/],
    ['a fractional node count', makeCommand({ args: { nodes: 1.5 } }), 'args.nodes', /int/i],
    ['a missing node count', makeCommand({ args: {} }), 'args.nodes', /expected number/],
    ['an unknown argument', makeCommand({ args: { nodes: 1, zone: 'a' } }), 'args', /zone/],
    ['a bad pool name', makeCommand({ args: { nodes: 1, pool: 'GPU Pool' } }), 'args.pool', /node pool name/],
    [
      'min above max',
      makeCommand({ type: 'gpu.autoscaling.set', args: { min: 3, max: 1 } }),
      'args.min',
      /greater than max/,
    ],
    ['a missing reason', makeCommand({ reason: undefined }), 'reason', /expected string/],
    ['a blank reason', makeCommand({ reason: '   ' }), 'reason', /must say why/],
    ['an actor without a kind', makeCommand({ actor: 'maria' }), 'actor', /user:/],
    ['a user actor without an email', makeCommand({ actor: 'user:maria' }), 'actor', /email/],
    ['an unknown envelope field', makeCommand({ priority: 'high' }), '', /priority/],
    ['a non-boolean dryRun', makeCommand({ dryRun: 'yes' }), 'dryRun', /boolean/],
    [
      'an idempotency key with a slash',
      makeCommand({ idempotencyKey: 'a/b' }),
      'idempotencyKey',
      /letters, digits/,
    ],
  ])('rejects %s, naming the field', (_case, raw, field, message) => {
    // Act
    let caught: unknown;
    try {
      parseCommand(raw);
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(InvalidCommandError);
    expect((caught as InvalidCommandError).field).toBe(field);
    expect((caught as InvalidCommandError).message).toMatch(message);
    expect((caught as InvalidCommandError).retryable).toBe(false);
  });
});

describe('idempotencyKeyOf', () => {
  it.each([
    [{ idempotencyKey: 'k-1' }, 'k-1'],
    [{ idempotencyKey: 'a/b' }, undefined],
    [{ idempotencyKey: 7 }, undefined],
    ['text', undefined],
    [null, undefined],
  ])('reads %j as %s', (raw, expected) => {
    expect(idempotencyKeyOf(raw)).toBe(expected);
  });
});

describe('command JSON Schemas', () => {
  it('are committed and match the zod schemas (run `npm run schemas` after changing a command)', () => {
    for (const [file, text] of Object.entries(allCommandJsonSchemas())) {
      const path = join(__dirname, '..', '..', '..', 'shared', 'commands', 'json-schema', file);
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
  });

  it('describe the per-type args, so other languages can validate', () => {
    const schema = JSON.parse(allCommandJsonSchemas()['gpu.scale.schema.json'] ?? '{}');
    expect(schema.properties.type.const).toBe('gpu.scale');
    expect(schema.properties.args.properties.nodes).toMatchObject({ type: 'integer', minimum: 0 });
    expect(schema.properties.args.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['type', 'args', 'actor', 'reason']));
  });
});
