import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { propagation, ROOT_CONTEXT, trace, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import { RunCoreEvents, type RunScope } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import { currentSpan, logScope } from '../logging/log-scope.js';
import { LangChainSpans } from './langchain-spans.js';

export const TRACER_NAME = 'riser';

/**
 * A span per attempt of a run, child of the request that started it — kept with the run as
 * a W3C carrier, so an attempt claimed from the queue or taken over by another replica
 * continues the same trace — linked to the run it resumes (a decision), with spans for its
 * graph's nodes, model and tool calls. Hooks into RunCoreEvents only; on when tracing is.
 */
@Injectable()
export class RunTracing implements OnModuleInit, OnApplicationShutdown {
  private readonly tracer: Tracer = trace.getTracer(TRACER_NAME);
  private readonly spans = new Map<string, Span>();
  private readonly subscription = new Subscription();

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly events: RunCoreEvents,
  ) {}

  onModuleInit(): void {
    if (!this.config.tracing.enabled) return;
    this.events.carrierSources.push(() => {
      const span = currentSpan();
      if (!span) return undefined;
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
      return carrier;
    });
    this.events.runWrappers.push((run, fn) => this.inSpan(run, fn));
    this.events.callbackSources.push((runId) => {
      const span = this.spans.get(runId);
      return span && new LangChainSpans(this.tracer, span);
    });
    this.subscription.add(
      this.events.lifecycle$.subscribe((event) => {
        const span = this.spans.get(event.runId);
        if (!span) return;
        if (event.kind === 'ended') {
          span.setAttribute('riser.run.status', event.status);
          if (event.code) span.setAttribute('riser.run.error_code', event.code);
        } else if (event.kind === 'first_token') span.setAttribute('riser.time_to_first_token_ms', event.ms);
        else if (event.kind === 'let_go') span.setAttribute('riser.run.let_go', event.why);
      }),
    );
  }

  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
  }

  private inSpan<T>(run: RunScope, fn: () => Promise<T>): Promise<T> {
    const parent = run.carrier ? propagation.extract(ROOT_CONTEXT, run.carrier) : ROOT_CONTEXT;
    const links: Link[] = [];
    const resumed = run.resumes && trace.getSpanContext(propagation.extract(ROOT_CONTEXT, run.resumes));
    if (resumed) links.push({ context: resumed, attributes: { 'riser.link': 'resumes' } });
    const span = this.tracer.startSpan(
      `run ${run.assistantId}`,
      {
        attributes: {
          'riser.run_id': run.runId,
          'riser.thread_id': run.threadId,
          'riser.assistant_id': run.assistantId,
          'riser.protocol': run.protocol,
          'riser.attempt': run.attempt,
          'riser.tenant': run.tenant,
        },
        links,
      },
      parent,
    );
    this.spans.set(run.runId, span);
    // The run's scope (opened by the log wrapper, outside this one) carries its span.
    const scope = logScope.getStore();
    if (scope) scope.span = span;
    return fn().finally(() => {
      this.spans.delete(run.runId);
      span.end();
    });
  }
}
