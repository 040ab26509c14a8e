import { createJsonLogger } from '../../../shared/logging';

describe('createJsonLogger', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, write: (line: string) => lines.push(line) };
  };

  it('writes one JSON object per line with severity and labels for Cloud Logging', () => {
    const sink = capture();
    createJsonLogger({ write: sink.write }).child({ operationId: 'op-1' }).warn('retrying', { attempts: 2 });
    expect(sink.lines).toHaveLength(1);
    expect(JSON.parse(sink.lines[0] ?? '')).toMatchObject({
      severity: 'WARNING',
      message: 'retrying',
      attempts: 2,
      'logging.googleapis.com/labels': { operationId: 'op-1' },
    });
  });

  it('never writes key material or tokens, however deep', () => {
    const sink = capture();
    const key = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t';
    createJsonLogger({ write: sink.write }).info('key created', {
      response: { name: 'keys/abc', privateKeyData: key, nested: [{ access_token: 'ya29.secret' }] },
      headers: { Authorization: 'Bearer ya29.secret' },
    });
    expect(sink.lines[0]).not.toContain(key);
    expect(sink.lines[0]).not.toContain('ya29.secret');
    expect(sink.lines[0]).toContain('keys/abc');
  });

  it('drops lines below the minimum severity', () => {
    const sink = capture();
    const logger = createJsonLogger({ write: sink.write, minSeverity: 'WARNING' });
    logger.info('quiet');
    logger.error('loud');
    expect(sink.lines.map((l) => JSON.parse(l).message)).toEqual(['loud']);
  });
});
