import { z } from 'zod';
import { COMMAND_CATALOG, COMMAND_TYPES, type CommandType } from './catalog';
import { CommandEnvelopeSchema } from './envelope';

/**
 * JSON Schema (draft 2020-12) of the full command envelope for one command type, for publishers
 * that do not run TypeScript. Derived from the zod schemas, never written by hand.
 */
const commandJsonSchema = (type: CommandType): Record<string, unknown> => {
  const schema = CommandEnvelopeSchema.extend({
    type: z.literal(type),
    args: COMMAND_CATALOG[type].args,
  }).describe(`${type}: ${COMMAND_CATALOG[type].summary}`);
  return {
    $id: `https://opsplane.dev/schemas/commands/${type}.schema.json`,
    title: type,
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
  };
};

/** File name → JSON text for every command type, as committed under shared/commands/json-schema/. */
const allCommandJsonSchemas = (): Record<string, string> =>
  Object.fromEntries(
    COMMAND_TYPES.map((type) => [
      `${type}.schema.json`,
      `${JSON.stringify(commandJsonSchema(type), null, 2)}\n`,
    ]),
  );

export { allCommandJsonSchemas, commandJsonSchema };
