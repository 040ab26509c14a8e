import type { CloudEvent } from '@google-cloud/functions-framework';
import { ResourceBusyError } from '../../../shared/errors';
import { silentLogger } from '../../../shared/logging';
import { createCommandEventHandler, RetryDeliveryError } from '../../../shared/runtime';

const event = (messageId: string) =>
  ({
    id: messageId,
    data: { message: { data: Buffer.from('{}').toString('base64'), messageId } },
  }) as unknown as CloudEvent<unknown>;

describe('createCommandEventHandler', () => {
  it('returns normally (ack) when the processor acknowledges', async () => {
    const handler = createCommandEventHandler(
      { process: async () => ({ ack: true, operationId: 'm1', status: 'rejected', duplicate: false }) },
      silentLogger,
    );
    await expect(handler(event('m1'))).resolves.toBeUndefined();
  });

  it('throws (nack, so Pub/Sub redelivers) when the processor asks for a retry', async () => {
    const handler = createCommandEventHandler(
      { process: async () => ({ ack: false, operationId: 'm1', error: new ResourceBusyError('busy') }) },
      silentLogger,
    );
    await expect(handler(event('m1'))).rejects.toBeInstanceOf(RetryDeliveryError);
  });

  it('acknowledges an event that is not a Pub/Sub message instead of looping on it', async () => {
    const process = jest.fn();
    const handler = createCommandEventHandler({ process }, silentLogger);
    await expect(handler({ id: 'x', data: {} } as unknown as CloudEvent<unknown>)).resolves.toBeUndefined();
    expect(process).not.toHaveBeenCalled();
  });
});
