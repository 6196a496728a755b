import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { pythonSdk, PYTHON_SDK_VERSION, type PythonSdk } from '../support/python-sdk.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const run = promisify(execFile);

/**
 * The Python `langgraph-sdk` (0.4.5), in a virtualenv this suite makes (cached under
 * node_modules/.cache/riser-py), drives Riser over real HTTP: threads, a stream with
 * `messages-tuple`, an interrupt resumed with Command(resume=…), runs.wait (the sync client
 * sends `raise_error`), join, cancel, history. test/fixtures/python/sdk_flow.py prints what it
 * saw as JSON; the assertions are here. Skipped, saying why, where Python or the SDK cannot be had.
 */
describe(`the Python langgraph-sdk ${PYTHON_SDK_VERSION} against Riser`, () => {
  let riser: RiserTestApp;
  let sdk: PythonSdk;

  beforeAll(async () => {
    sdk = await pythonSdk();
    if ('skip' in sdk) {
      console.warn(`SKIPPED the Python SDK suite: ${sdk.skip}`);
      return;
    }
    for (const note of sdk.notes) console.warn(`Python SDK suite: ${note}`);
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '20', LANGGRAPH_JSON: resolve(__dirname, '../fixtures/langgraph.json') } });
  }, 600_000);
  afterAll(() => riser?.destroy());

  it('runs a team’s Python client flow unchanged', async () => {
    if ('skip' in sdk) return;
    const { stdout } = await run(sdk.python, [resolve(__dirname, '../fixtures/python/sdk_flow.py')], {
      env: { ...process.env, RISER_URL: riser.url, RISER_TOKEN: riser.token('pia', { tenant: 'acme' }), PYTHONWARNINGS: 'ignore' },
      timeout: 120_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);

    expect(out.thread).toEqual({ status: 'idle', metadata: { team: 'py' } });
    expect(out.found).toEqual([true]);
    expect(out.patched).toEqual({ team: 'py', stage: 'two' });

    // messages-tuple: [chunk, metadata] pairs from the agent node, then the interrupt in updates.
    expect(out.events[0]).toBe('metadata');
    expect(out.events.at(-1)).toBe('end');
    expect(out.events).toEqual(expect.arrayContaining(['messages', 'updates']));
    expect(out.tuple_shapes).toEqual(['2:ai:agent']);
    expect(out.streamed_text).toContain('Requesting approval to refund $11.00 for order PY-3');
    expect(out.interrupt).toMatchObject({ action: 'issue_refund', args: { order_id: 'PY-3', amount: 11 } });
    expect(out.paused).toEqual({ status: 'interrupted', next: ['tools'] });
    expect(out.resumed).toBe('Done. Refund issued: $11.00 for order PY-3.');

    expect(out.waited).toContain('You said "just wait"');
    // The sync client's body has `raise_error`: accepted (it used to be a 422).
    expect(out.sync_waited).toContain('You said "sync wait"');
    // A failed run: `__error__` with the exception's class and message, credentials redacted;
    // the async client raises it as "<class>: <message>".
    expect(out.sync_failed).toEqual({ __error__: { error: 'Error', message: 'boom: could not reach postgres://[redacted]' } });
    expect(out.async_error).toBe('Error: boom: could not reach postgres://[redacted]');

    expect(out.joined).toContain('You said "join me"');
    expect(out.joined_status).toBe('success');
    expect(out.cancelled_status).toBe('interrupted');
    expect(out.thread_after_cancel).toBe('idle');

    expect(out.history_len).toBe(5);
    expect(out.before_ok).toBe(true);
    expect(out.state_at_checkpoint).toBe(true);
    expect(out.bad_update).toMatchObject({ status: 422, body: { error: 'invalid_update', message: expect.stringContaining('no_such_node') } });
    expect(out.store_item).toEqual({ namespace: ['py', 'prefs'], key: 'colour', value: { value: 'teal' } });
    expect(out.store_search).toEqual(['colour']);
    expect(out.store_after_delete).toBeNull();
    expect(out.deleted).toBe(true);
  }, 180_000);
});
