import { createElement } from 'react';
import { create, type ReactTestRenderer } from 'react-test-renderer';
import { Client } from '@langchain/langgraph-sdk';
import { useStream } from '@langchain/langgraph-sdk/react';
import { bearer } from '@riser/testing';
import { startRiser, type RiserTestApp } from '../support/riser.js';
import { until } from '../support/wait.js';

// React's hook rendered for real (react-test-renderer runs its effects in Node), talking to
// Riser with the SDK's own fetch: what a team's chat component does, minus the DOM.
type Stream = ReturnType<typeof useStream>;

describe("React's useStream against Riser", () => {
  let riser: RiserTestApp;
  let client: Client;

  beforeAll(async () => {
    // State updates arrive from the network, outside act(): tell React that is expected.
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '2' } });
    client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(riser.token('ui-user', { tenant: 'acme' })) });
  });
  afterAll(() => riser.destroy());

  it('renders the reply and the pending approval, resumes it, and shows tool progress', async () => {
    let stream!: Stream;
    let threadId: string | undefined;
    const renders: { loading: boolean; messages: number }[] = [];
    function Chat() {
      stream = useStream({ client, assistantId: 'agent', fetchStateHistory: true, onThreadId: (id: string) => (threadId = id) });
      // Reading toolProgress is what makes the hook ask for stream_mode "tools".
      void stream.toolProgress;
      renders.push({ loading: stream.isLoading, messages: stream.messages.length });
      return null;
    }
    // Rendered as the app would be, not inside act(): React schedules it, the test waits.
    // react-test-renderer still works in React 19 and says it is deprecated: that one line is dropped.
    const consoleError = console.error;
    const quiet = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (!String(args[0]).includes('react-test-renderer is deprecated')) consoleError(...args);
    });
    const renderer: ReactTestRenderer = create(createElement(Chat));
    quiet.mockRestore();
    try {
      await until(async () => renders.length, (n) => n > 0);
      void stream.submit({ messages: [{ type: 'human', content: 'refund order RX-2 $30' }] } as never);
      await until(async () => stream, (s) => !s.isLoading && s.interrupt !== undefined);
      expect(stream.error).toBeUndefined();
      expect(stream.messages.map((m) => m.type)).toEqual(['human', 'ai']);
      expect(String(stream.messages[1].content)).toContain('needs approval');
      expect(stream.interrupt?.value).toMatchObject({ action: 'issue_refund', args: { order_id: 'RX-2', amount: 30 } });
      // It streamed: the component rendered while loading, with the reply growing.
      expect(renders.some((r) => r.loading && r.messages >= 1)).toBe(true);

      void stream.submit(undefined as never, { command: { resume: { decision: 'approve' } } });
      await until(async () => stream, (s) => !s.isLoading && s.messages.length === 4);
      expect(stream.error).toBeUndefined();
      expect(stream.interrupt).toBeUndefined();
      expect(stream.messages.map((m) => m.type)).toEqual(['human', 'ai', 'tool', 'ai']);
      expect(stream.messages[2].content).toBe('Refund issued: $30.00 for order RX-2.');
      expect(stream.toolProgress.map((t: { name?: string }) => t.name)).toContain('issue_refund');
      const state = await client.threads.getState(threadId!);
      expect((state.values as { messages: { content: unknown }[] }).messages.map((m) => m.content)).toEqual(stream.messages.map((m) => m.content));
    } finally {
      renderer.unmount();
    }
  });
});
