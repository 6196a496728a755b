// The run core sets this before any LangChain code runs; so must the spec.
import './langchain-env.js';
import { HumanMessage, isBaseMessageChunk, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { Command, MemorySaver, type Pregel } from '@langchain/langgraph';
import { createDemoAgent } from './demo/demo-agent.js';
import { messageText } from './message-format.js';
import type { MessageEventData } from './run-event.js';
import { functionalGraph, modelKindsGraph, nestedGraph } from './testing-fixtures.js';
import { RunTokenHandler, type TokenHandlerOptions } from './token-handler.js';

// RunTokenHandler replaces LangGraph's `messages` stream mode, so what it emits is pinned
// against what that mode yields for the same graph and input.

type Graph = Pregel<any, any>;
type Input = unknown;

/** What a client can tell about one `messages` event. */
interface Emitted {
  id: string | undefined;
  role: string;
  text: string;
  node: unknown;
  /** Whether the message came from a model call's callbacks or from a node's output. */
  from: 'model' | 'node';
  chunk: boolean;
  toolChunks: number;
  ns: string[];
}

const OPTIONS: TokenHandlerOptions = { subgraphs: false, mode: 'full' };

const source = (meta: Record<string, unknown>) => (meta.ls_model_type ? 'model' : 'node');

function fromLangGraph(message: BaseMessage, meta: Record<string, unknown>, ns: string[]): Emitted {
  const toolChunks = (message as AIMessageChunk).tool_call_chunks?.length ?? 0;
  return { id: message.id, role: message.type, text: messageText(message.content), node: meta.langgraph_node, from: source(meta), chunk: isBaseMessageChunk(message), toolChunks, ns };
}

/** Riser events whose plain message lacks the id or type the official server sends. */
const mistyped: MessageEventData[] = [];
afterEach(() => expect(mistyped).toEqual([]));

function fromRiser(data: MessageEventData, ns: string[]): Emitted {
  // Not an expect: an exception in a callback handler is logged by LangChain, not raised.
  if (data.message!.type !== data.role || data.message!.id === undefined) mistyped.push(data);
  const toolChunks = (data.message!.tool_call_chunks as unknown[] | undefined)?.length ?? 0;
  return { id: data.message!.id, role: data.role, text: data.text, node: data.metadata.langgraph_node, from: source(data.metadata), chunk: !data.complete, toolChunks, ns };
}

const config = (thread: string) => ({ configurable: { thread_id: thread } });

async function viaLangGraph(graph: Graph, inputs: Input[], thread: string, subgraphs = false): Promise<Emitted[]> {
  const out: Emitted[] = [];
  for (const input of inputs) {
    for await (const chunk of await graph.stream(input, { ...config(thread), streamMode: 'messages', subgraphs })) {
      // [message, metadata], or [namespace, [message, metadata]] with subgraphs.
      const [ns, [message, meta]] = (subgraphs ? chunk : [[], chunk]) as [string[], [BaseMessage, Record<string, unknown>]];
      out.push(fromLangGraph(message, meta, ns));
    }
  }
  return out;
}

/**
 * As the run executor runs a graph: `updates` from the stream, messages from the handler,
 * a new handler for each run.
 */
async function viaRiser(graph: Graph, inputs: Input[], thread: string, options = OPTIONS): Promise<Emitted[]> {
  const out: Emitted[] = [];
  for (const input of inputs) {
    const handler = new RunTokenHandler((data, ns) => out.push(fromRiser(data, ns)), options);
    const stream = await graph.stream(input, { ...config(thread), streamMode: ['updates'], subgraphs: options.subgraphs, callbacks: [handler] });
    for await (const _ of stream) void _;
  }
  return out;
}

/**
 * Model and node run ids differ between two runs, and so do task ids: each `run-<uuid>`
 * becomes `run-#n` by first appearance, and namespaces keep only node names.
 */
function canonical(events: Emitted[]): Emitted[] {
  const runs = new Map<string, number>();
  const index = (uuid: string) => runs.get(uuid) ?? runs.set(uuid, runs.size).get(uuid);
  return events.map((e) => ({
    ...e,
    id: e.id?.replace(/^run-([0-9a-f-]{36})/, (_, uuid: string) => `run-#${index(uuid)}`),
    ns: e.ns.map((segment) => segment.split(':')[0]),
  }));
}

async function demoAgent(): Promise<Graph> {
  const graph = await createDemoAgent({ tokenDelayMs: 0 });
  graph.checkpointer = new MemorySaver();
  return graph;
}

async function stateMessages(graph: Graph, thread: string): Promise<BaseMessage[]> {
  return (await graph.getState(config(thread))).values.messages;
}

/** The ids of the thread's model and node messages, each once, in order. */
async function producedIds(graph: Graph, thread: string): Promise<(string | undefined)[]> {
  return (await stateMessages(graph, thread)).filter((m) => m.type !== 'human').map((m) => m.id);
}

const distinct = (events: Emitted[]) => [...new Set(events.map((e) => e.id))];

const hello = { messages: [new HumanMessage('hello, who are you?')] };
const refund = { messages: [new HumanMessage('I want a refund of $30 for order 77')] };
const approve = new Command({ resume: { decision: 'approve' } });

describe('RunTokenHandler, pinned against LangGraph\'s "messages" stream mode', () => {
  it('demo agent, plain message: the same tokens, ids and nodes', async () => {
    const graph = await demoAgent();
    const lg = await viaLangGraph(graph, [hello], 'plain-lg');
    const riser = await viaRiser(graph, [hello], 'plain-riser');

    expect(riser.length).toBeGreaterThan(5);
    expect(canonical(riser)).toEqual(canonical(lg));
    expect(riser.every((e) => e.chunk && e.node === 'agent' && e.role === 'ai')).toBe(true);
    // One message, whose id and text are those the thread keeps.
    const [reply] = (await stateMessages(graph, 'plain-riser')).slice(-1);
    expect(distinct(riser)).toEqual([reply.id]);
    expect(riser.map((e) => e.text).join('')).toBe(messageText(reply.content));
  });

  it('demo agent, refund: the tool-call chunk, and the tool result after approval', async () => {
    const graph = await demoAgent();
    const lg = await viaLangGraph(graph, [refund, approve], 'refund-lg');
    const riser = await viaRiser(graph, [refund, approve], 'refund-riser');

    expect(canonical(riser)).toEqual(canonical(lg));
    const toolCalls = riser.filter((e) => e.toolChunks > 0);
    expect(toolCalls).toEqual([expect.objectContaining({ node: 'agent', chunk: true, text: '' })]);
    expect(toolCalls[0].id).toBe(riser[0].id);
    expect(riser.filter((e) => e.role === 'tool')).toEqual([
      expect.objectContaining({ node: 'tools', chunk: false, id: expect.stringMatching(/^run-[0-9a-f-]{36}-tool-call_/) }),
    ]);
    // Both give each message the id the thread's state keeps: the tool result's is written
    // onto the message by the handler (else the reducer would give it a random one).
    expect(distinct(lg)).toEqual(await producedIds(graph, 'refund-lg'));
    expect(distinct(riser)).toEqual(await producedIds(graph, 'refund-riser'));
    expect(distinct(riser)).toHaveLength(3);
  });

  it('text mode: exactly the non-empty model text of full mode, and nothing built per token', async () => {
    const graph = await demoAgent();
    const full = await viaRiser(graph, [refund], 'text-full');
    const text: MessageEventData[] = [];
    const handler = new RunTokenHandler((data) => text.push(data), { subgraphs: false, mode: 'text' });
    const stream = await graph.stream(refund, { ...config('text-text'), streamMode: ['updates'], callbacks: [handler] });
    for await (const _ of stream) void _;
    const expected = full.filter((e) => e.role === 'ai' && e.text !== '').map((e) => e.text);
    expect(expected.length).toBeGreaterThan(5);
    expect(text.map((d) => d.text)).toEqual(expected);
    expect(text.every((d) => d.message === undefined && d.role === 'ai' && !d.complete)).toBe(true);
  });

  it('keeps tokens in the same order relative to `updates` as streamMode ["messages","updates"]', async () => {
    const graph = await demoAgent();
    const label = (complete: boolean, node: unknown) => `${complete ? 'message' : 'token'}:${node}`;
    const lg: string[] = [];
    const riser: string[] = [];
    for (const input of [refund, approve]) {
      for await (const [mode, payload] of await graph.stream(input, { ...config('order-lg'), streamMode: ['messages', 'updates'] })) {
        lg.push(mode === 'messages' ? label(!isBaseMessageChunk(payload[0]), payload[1].langgraph_node) : `updates:${Object.keys(payload)}`);
      }
      // The handler pushes into the same array as the stream's updates, as into a run's log.
      const handler = new RunTokenHandler((data) => riser.push(label(data.complete, data.metadata.langgraph_node)), OPTIONS);
      for await (const [, payload] of await graph.stream(input, { ...config('order-riser'), streamMode: ['updates'], callbacks: [handler] })) {
        riser.push(`updates:${Object.keys(payload)}`);
      }
    }
    const runs = (labels: string[]) =>
      labels.reduce<[string, number][]>((acc, l) => (acc.at(-1)?.[0] === l ? acc.at(-1)![1]++ : acc.push([l, 1]), acc), []);

    expect(runs(riser)).toEqual(runs(lg));
    // Every token of a node after the previous node's update and before its own.
    expect(runs(riser)).toEqual([
      ['token:agent', expect.any(Number)],
      ['updates:agent', 1],
      ['updates:__interrupt__', 1],
      ['message:tools', 1],
      ['updates:tools', 1],
      ['token:agent', expect.any(Number)],
      ['updates:agent', 1],
    ]);
  });

  describe('models that do not stream', () => {
    let lg: Emitted[];
    let riser: Emitted[];
    beforeAll(async () => {
      const graph = modelKindsGraph();
      lg = await viaLangGraph(graph, [hello], 'kinds');
      riser = await viaRiser(graph, [hello], 'kinds');
    });

    it('emits the same events as LangGraph, but for the type of a whole nostream message', () => {
      // Deliberate: the nostream model still streams into its own aggregate (the handlers
      // prefer streaming), so its node returns an AIMessageChunk, and LangGraph sends that
      // as a chunk. Riser sends what it is: a complete message (type "ai"), not a token.
      const expected = canonical(lg).map((e) => (e.node === 'quiet' ? { ...e, chunk: false } : e));
      expect(canonical(riser)).toEqual(expected);
      expect(lg.find((e) => e.node === 'quiet')?.chunk).toBe(true);
    });

    it('skips a model tagged nostream (its node still returns the whole message)', () => {
      const quiet = riser.filter((e) => e.node === 'quiet');
      // No tokens: only the node's output.
      expect(quiet).toEqual([expect.objectContaining({ chunk: false, from: 'node', text: 'quiet words' })]);
      expect(lg.filter((e) => e.node === 'quiet')).toEqual([expect.objectContaining({ from: 'node', text: 'quiet words' })]);
    });

    it('emits the message of a model that only generates once, as a complete message', () => {
      const whole = riser.filter((e) => e.node === 'whole');
      // Emitted at the model call's end (with its `run-` id), then not again as the node's.
      expect(whole).toEqual([
        expect.objectContaining({ chunk: false, from: 'model', text: 'a whole answer', id: expect.stringMatching(/^run-[0-9a-f-]{36}$/) }),
      ]);
    });

    it("gives every chunk of a call the provider's id, even when only the first has it", () => {
      const loud = riser.filter((e) => e.node === 'loud');
      expect(loud.map((e) => [e.text, e.id])).toEqual([
        ['loud ', 'provider-msg-1'],
        ['and ', 'provider-msg-1'],
        ['clear', 'provider-msg-1'],
      ]);
    });
  });

  it('emits tokens of subgraphs only with subgraphs:true, under LangGraph\'s namespace', async () => {
    const graph = nestedGraph();
    const lg = await viaLangGraph(graph, [hello], 'nested');
    const riser = await viaRiser(graph, [hello], 'nested');
    expect(canonical(riser)).toEqual(canonical(lg));
    // Without subgraphs, `deep`'s tokens are not emitted: the subgraph node's output is.
    expect(riser.filter((e) => e.node === 'deep')).toEqual([]);
    expect(riser).toContainEqual(expect.objectContaining({ node: 'inner', chunk: false, text: 'deep down', ns: [] }));

    const lgNested = await viaLangGraph(graph, [hello], 'nested', true);
    const riserNested = await viaRiser(graph, [hello], 'nested', { ...OPTIONS, subgraphs: true });
    expect(canonical(riserNested)).toEqual(canonical(lgNested));
    expect(riserNested.filter((e) => e.node === 'deep').map((e) => e.text)).toEqual(['deep ', 'down']);

    // Task ids differ per run: for exact namespaces, one run read by both.
    const both: Emitted[] = [];
    const handler = new RunTokenHandler((data, ns) => both.push(fromRiser(data, ns)), { ...OPTIONS, subgraphs: true });
    const lgSameRun: Emitted[] = [];
    for await (const [ns, [message, meta]] of await graph.stream(hello, { streamMode: 'messages', subgraphs: true, callbacks: [handler] })) {
      lgSameRun.push(fromLangGraph(message, meta, ns));
    }
    const innerNs = [expect.stringMatching(/^inner:[0-9a-f-]{36}$/)];
    expect(both.filter((e) => e.node === 'deep').map((e) => e.ns)).toEqual([innerNs, innerNs]);
    expect(both.map((e) => [e.ns, e.text])).toEqual(lgSameRun.map((e) => [e.ns, e.text]));
  });

  it("counts a functional-API task's tokens as its caller's, not as a subgraph's", async () => {
    // LangGraph drops a namespace segment per level of task calls (a `langgraph_path` that
    // ends in `true`): tokens of a task called by the entrypoint or by another task are
    // the graph's own, emitted without subgraphs, with namespace [].
    const graph = functionalGraph();
    for (const subgraphs of [false, true]) {
      const lg = await viaLangGraph(graph, ['hi'], `func-lg-${subgraphs}`, subgraphs);
      const riser = await viaRiser(graph, ['hi'], `func-riser-${subgraphs}`, { ...OPTIONS, subgraphs });
      expect(canonical(riser)).toEqual(canonical(lg));
      const tokens = [[[], 'inner', 'from '], [[], 'inner', 'a task']];
      expect(riser.map((e) => [e.ns, e.node, e.text])).toEqual([...tokens, ...tokens]);
    }
  });

  it('50 concurrent runs: each handler gets exactly its own run\'s tokens', async () => {
    const graph = await demoAgent();
    const runs = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const thread = `many-${i}`;
        const events: MessageEventData[] = [];
        const handler = new RunTokenHandler((data) => events.push(data), OPTIONS);
        const input = { messages: [new HumanMessage(`this is run number ${i}`)] };
        for await (const _ of await graph.stream(input, { ...config(thread), streamMode: ['updates'], callbacks: [handler] })) void _;
        const [reply] = (await stateMessages(graph, thread)).slice(-1);
        return { thread, events, reply };
      }),
    );
    for (const { thread, events, reply } of runs) {
      expect(messageText(reply.content)).toContain(`this is run number ${thread.slice(5)}"`);
      expect(events.map((e) => e.text).join('')).toBe(messageText(reply.content));
      expect([...new Set(events.map((e) => e.message!.id))]).toEqual([reply.id]);
      expect(events.every((e) => e.metadata.thread_id === thread)).toBe(true);
    }
    expect(new Set(runs.map((r) => r.reply.id)).size).toBe(50);
  });
});
