import { InvalidCommandError } from '../../../shared/errors';
import { deliveryFromCloudEvent, jsonFromDelivery } from '../../../shared/messaging';

const data = Buffer.from('{"type":"gpu.scale"}').toString('base64');

describe('deliveryFromCloudEvent', () => {
  it.each([
    [
      'a messagePublished CloudEvent (Eventarc, or a push the framework converted)',
      {
        id: '42',
        data: {
          message: { data, attributes: { k: 'v' }, messageId: '42', publishTime: '2026-01-01T00:00:00Z' },
        },
      },
    ],
    [
      'the raw push body the framework passes through unconverted',
      {
        message: { data, attributes: { k: 'v' }, message_id: '42', publish_time: '2026-01-01T00:00:00Z' },
        subscription: 's',
      },
    ],
  ])('reads %s', (_case, event) => {
    const delivery = deliveryFromCloudEvent(event);
    expect(delivery).toEqual({
      messageId: '42',
      publishTime: '2026-01-01T00:00:00Z',
      attributes: { k: 'v' },
      data: Buffer.from('{"type":"gpu.scale"}'),
    });
  });

  it.each([
    ['no message', { id: '1', data: {} }],
    ['a message without id', { message: { data } }],
    ['nothing at all', undefined],
  ])('refuses an event with %s', (_case, event) => {
    expect(() => deliveryFromCloudEvent(event)).toThrow(InvalidCommandError);
  });
});

describe('jsonFromDelivery', () => {
  it('names the data field when the body is empty or not JSON', () => {
    const base = { messageId: '1', attributes: {} };
    expect(() => jsonFromDelivery({ ...base, data: Buffer.alloc(0) })).toThrow(
      /data: the message has no data/,
    );
    expect(() => jsonFromDelivery({ ...base, data: Buffer.from('{oops') })).toThrow(
      /data: the message data is not valid JSON/,
    );
  });
});
