import type { CloudEvent } from '@google-cloud/functions-framework';
import { type ControlPlaneError, InvalidCommandError } from '../errors';
import type { Logger } from '../logging';
import { deliveryFromCloudEvent, type PubsubDelivery } from '../messaging';
import type { CommandProcessor } from './command-processor';

/** Thrown to make the Functions Framework answer 500, which Pub/Sub takes as a nack and redelivers. */
class RetryDeliveryError extends Error {
  constructor(readonly error: ControlPlaneError) {
    super(`retry: ${error.code}: ${error.message}`, { cause: error });
    this.name = 'RetryDeliveryError';
  }
}

/**
 * Adapts a Pub/Sub message handler to a CloudEvent function: the handler has already decided ack
 * versus retry; this only turns "retry" into a thrown error. An event that is not a Pub/Sub message
 * has no message id to record it under: it is logged and acknowledged. Anything the handler could
 * not even record (the ledger itself unreachable) propagates, and is redelivered.
 */
const createPubsubEventHandler =
  (
    handle: (delivery: PubsubDelivery) => Promise<{ ack: true } | { ack: false; error: ControlPlaneError }>,
    logger: Logger,
  ) =>
  async (event: CloudEvent<unknown>): Promise<void> => {
    let delivery: PubsubDelivery;
    try {
      delivery = deliveryFromCloudEvent(event);
    } catch (error) {
      if (!(error instanceof InvalidCommandError)) throw error;
      logger.error('event is not a Pub/Sub message; acknowledged and dropped', {
        error: error.toRecord(),
        eventId: event?.id,
      });
      return;
    }
    const outcome = await handle(delivery);
    if (!outcome.ack) throw new RetryDeliveryError(outcome.error);
  };

/** The command function's handler: the processor decides ack versus retry (`dispositionOf`). */
const createCommandEventHandler = (processor: CommandProcessor, logger: Logger) =>
  createPubsubEventHandler((delivery) => processor.process(delivery), logger);

export { createCommandEventHandler, createPubsubEventHandler, RetryDeliveryError };
