import type { WorkflowMap, WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import { call, errorOf, evaluate, map } from './stdlib-harness';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('json', () => {
  it('decodes strings and UTF-8 bytes, keeping ints apart from doubles', async () => {
    // Act
    const fromText = await call('json.decode', ['{"a": 1, "b": 1.0, "c": [null, "é"]}']);
    const fromBytes = await call('json.decode', [bytes('[true, 2]')]);

    // Assert
    expect(fromText).toEqual(
      new Map<string, WorkflowValue>([
        ['a', 1n],
        ['b', 1],
        ['c', [null, 'é']],
      ]),
    );
    expect(fromBytes).toEqual([true, 2n]);
  });

  it('raises ValueError on bad JSON and TypeError on other input types', async () => {
    // Act
    const bad = await errorOf(call('json.decode', ['{oops}']));
    const wrongType = await errorOf(call('json.decode', [1n]));

    // Assert
    expect(bad.tags).toEqual(['ValueError']);
    expect(wrongType.tags).toEqual(['TypeError']);
  });

  it('encodes to bytes and to strings, compact by default', async () => {
    // Prepare
    const data = map({ key1: 'hello', n: [1, 2.5] });

    // Act
    const asBytes = await call('json.encode', [data]);
    const asString = await call('json.encode_to_string', [data]);

    // Assert
    expect(Buffer.from(asBytes as Uint8Array).toString('utf8')).toBe('{"key1":"hello","n":[1,2.5]}');
    expect(asString).toBe('{"key1":"hello","n":[1,2.5]}');
  });

  it.each([
    [true, '{\n    "a": [\n        1\n    ]\n}'],
    [false, '{"a":[1]}'],
    [new Map(), '{\n    "a": [\n        1\n    ]\n}'],
    [
      new Map<string, WorkflowValue>([
        ['prefix', '#'],
        ['indent', '\t'],
      ]),
      '{\n#\t"a": [\n#\t\t1\n#\t]\n#}',
    ],
  ] as Array<[WorkflowValue, string]>)('indents with %p', async (indent, expected) => {
    // Act / Assert
    expect(await call('json.encode_to_string', [map({ a: [1] }), indent])).toBe(expected);
  });

  it('raises ValueError for bytes and TypeError for a bad indent', async () => {
    // Act
    const withBytes = await errorOf(call('json.encode', [[bytes('x')]]));
    const badIndent = await errorOf(call('json.encode_to_string', [1n, 'yes']));

    // Assert
    expect(withBytes.tags).toEqual(['ValueError']);
    expect(badIndent.tags).toEqual(['TypeError']);
  });

  it('restores an error map from its string form, as the error docs suggest', async () => {
    // Act
    const value = await evaluate('json.decode(text.encode("{\\"code\\": 404}")).code');

    // Assert
    expect(value).toBe(404n);
  });
});

describe('base64', () => {
  it('encodes bytes with or without padding and decodes back', async () => {
    // Act / Assert
    expect(await call('base64.encode', [bytes('Hello World')])).toBe('SGVsbG8gV29ybGQ=');
    expect(await call('base64.encode', [bytes('Hello World'), false])).toBe('SGVsbG8gV29ybGQ');
    expect(await call('base64.decode', ['SGVsbG8gV29ybGQ='])).toEqual(bytes('Hello World'));
    expect(await call('base64.decode', ['SGVsbG8gV29ybGQ', false])).toEqual(bytes('Hello World'));
    expect(await evaluate('text.decode(base64.decode(base64.encode(text.encode("héllo"))))')).toBe('héllo');
  });

  it('refuses strings for encode (TypeError) and malformed input for decode (ValueError)', async () => {
    // Act
    const stringInput = await errorOf(call('base64.encode', ['text']));
    const badAlphabet = await errorOf(call('base64.decode', ['a*b=']));
    const unpadded = await errorOf(call('base64.decode', ['SGVsbG8gV29ybGQ']));

    // Assert
    expect(stringInput.tags).toEqual(['TypeError']);
    expect(badAlphabet.tags).toEqual(['ValueError']);
    expect(unpadded.tags).toEqual(['ValueError']);
  });
});

describe('list', () => {
  it('appends ONE element with concat (as documented) and copies the input', async () => {
    // Prepare
    const objs: WorkflowValue[] = [1n, 2n];

    // Act
    const concatenated = await call('list.concat', [objs, [3n, 4n]]);
    const prepended = await call('list.prepend', [objs, 0n]);

    // Assert
    expect(concatenated).toEqual([1n, 2n, [3n, 4n]]);
    expect(prepended).toEqual([0n, 1n, 2n]);
    expect(objs).toEqual([1n, 2n]);
  });

  it('raises a TypeError when objs is not a list', async () => {
    // Act
    const error = await errorOf(call('list.concat', ['not a list', 1n]));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
    expect(error.message).toContain('"objs"');
  });
});

describe('map', () => {
  const nested = map({ a: { b: { c: 'deep' } }, flat: 1 });

  it.each([
    [nested, 'flat', 1n],
    [nested, ['a', 'b', 'c'], 'deep'],
    [nested, 'missing', null],
    [nested, ['a', 'missing', 'c'], null],
    [nested, ['flat', 'x'], null],
    ['not a map', 'a', null],
    [null, 'a', null],
  ] as Array<[WorkflowValue, WorkflowValue, WorkflowValue]>)(
    'get(%p, %p) = %p',
    async (value, keys, expected) => {
      // Act / Assert
      expect(await call('map.get', [value, keys])).toEqual(expected);
    },
  );

  it('raises a TypeError for keys that are not strings, and refuses a third argument', async () => {
    // Act
    const badKeys = await errorOf(call('map.get', [nested, 1n]));
    const badList = await errorOf(call('map.get', [nested, ['a', 1n]]));
    const third = await errorOf(call('map.get', [nested, 'a', 'default']));

    // Assert
    expect(badKeys.tags).toEqual(['TypeError']);
    expect(badList.tags).toEqual(['TypeError']);
    expect(third.tags).toEqual(['TypeError']);
  });

  it('deletes a key from a copy', async () => {
    // Prepare
    const original = map({ a: 1, b: 2 }) as WorkflowMap;

    // Act
    const deleted = await call('map.delete', [original, 'a']);
    const absent = await call('map.delete', [original, 'zz']);

    // Assert
    expect(deleted).toEqual(map({ b: 2 }));
    expect(absent).toEqual(original);
    expect(original.has('a')).toBe(true);
  });

  it('merges shallowly (second wins) and nested (recursively)', async () => {
    // Prepare
    const first = map({ key1: { key2: 'value2' }, keep: 1 });
    const second = map({ key1: { key3: 'value3' }, extra: 2 });

    // Act
    const shallow = await call('map.merge', [first, second]);
    const deep = await call('map.merge_nested', [first, second]);

    // Assert
    expect(shallow).toEqual(map({ key1: { key3: 'value3' }, keep: 1, extra: 2 }));
    expect(deep).toEqual(map({ key1: { key2: 'value2', key3: 'value3' }, keep: 1, extra: 2 }));
    expect(first).toEqual(map({ key1: { key2: 'value2' }, keep: 1 }));
  });

  it('raises a TypeError when merging a non-map', async () => {
    // Act
    const error = await errorOf(call('map.merge_nested', [map({}), [1n]]));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
  });
});
