import { InvalidCommandError } from '../errors';

/** A Pub/Sub message as the command function receives it, whatever the delivery path. */
interface PubsubDelivery {
  messageId: string;
  publishTime?: string;
  data: Buffer;
  attributes: Record<string, string>;
}

type Bag = Record<string, unknown>;
const bag = (value: unknown): Bag | undefined =>
  value !== null && typeof value === 'object' ? (value as Bag) : undefined;

/**
 * Extracts the Pub/Sub message from what the Functions Framework hands a CloudEvent function:
 * - a `messagePublished` CloudEvent (`data.message`), from Eventarc or converted from a push;
 * - the raw push body `{message, subscription}`, which the framework passes through unconverted
 *   when the message has no data (attributes only).
 */
const deliveryFromCloudEvent = (event: unknown): PubsubDelivery => {
  const root = bag(event);
  const message = bag(bag(root?.data)?.message) ?? bag(root?.message);
  const messageId = message?.messageId ?? message?.message_id ?? root?.id;
  if (!message || typeof messageId !== 'string' || messageId.length === 0) {
    throw new InvalidCommandError('message', 'the event carries no Pub/Sub message with a messageId');
  }
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(bag(message.attributes) ?? {})) attributes[key] = String(value);
  const data = typeof message.data === 'string' ? Buffer.from(message.data, 'base64') : Buffer.alloc(0);
  const publishTime = message.publishTime ?? message.publish_time;
  return { messageId, data, attributes, ...(typeof publishTime === 'string' ? { publishTime } : {}) };
};

/** Parses the message body as JSON; an InvalidCommandError says what is wrong with it. */
const jsonFromDelivery = (delivery: PubsubDelivery): unknown => {
  if (delivery.data.length === 0)
    throw new InvalidCommandError('data', 'the message has no data; expected a JSON command');
  const text = delivery.data.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidCommandError(
      'data',
      `the message data is not valid JSON (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
};

export type { PubsubDelivery };
export { deliveryFromCloudEvent, jsonFromDelivery };
