import type { CloudEvent } from '@google-cloud/functions-framework';
import { type ControlPlaneError, InvalidCommandError } from '../errors';
import type { Logger } from '../logging';
import { deliveryFromCloudEvent } from '../messaging';
import type { CommandProcessor } from './command-processor';

/** Thrown to make the Functions Framework answer 500, which Pub/Sub takes as a nack and redelivers. */
class RetryDeliveryError extends Error {
  constructor(readonly error: ControlPlaneError) {
    super(`retry: ${error.code}: ${error.message}`, { cause: error });
    this.name = 'RetryDeliveryError';
  }
}

/**
 * Adapts the processor to a CloudEvent function. The processor has already decided ack versus
 * retry (`dispositionOf`); this only turns "retry" into a thrown error. Anything the processor
 * could not even record (the ledger itself unreachable) also propagates, and is redelivered:
 * nothing can be recorded, so nothing may be dropped.
 */
const createCommandEventHandler =
  (processor: CommandProcessor, logger: Logger) =>
  async (event: CloudEvent<unknown>): Promise<void> => {
    let delivery: ReturnType<typeof deliveryFromCloudEvent>;
    try {
      delivery = deliveryFromCloudEvent(event);
    } catch (error) {
      if (!(error instanceof InvalidCommandError)) throw error;
      // Without a message id there is no key to record it under: log it and acknowledge.
      logger.error('event is not a Pub/Sub message; acknowledged and dropped', {
        error: error.toRecord(),
        eventId: event?.id,
      });
      return;
    }
    const outcome = await processor.process(delivery);
    if (!outcome.ack) throw new RetryDeliveryError(outcome.error);
  };

export { createCommandEventHandler, RetryDeliveryError };
