/**
 * Every call, whatever its transport, lands in the call log as it happens: the call row when it
 * opens, each transcript segment and turn (with its latency metrics) as soon as it exists, the end
 * reason when it closes. Written incrementally so a call that drops (or a gateway that dies) loses
 * nothing said before. Writes for one call are serialised (the call row must exist before its
 * turns) and never block or fail the call: a database error is logged, the conversation goes on.
 * Recording files are registered last, when the transport has written them after the call ended.
 */
import type { Logger } from 'pino';
import type { CallInfo, CallPipeline, PipelineEvent, PipelineFactory, TurnMetrics } from '../pipeline/call-pipeline.ts';
import type { MessageStore, TakenMessage } from '../pipeline/dialogue/message-store.ts';

export type Speaker = 'caller' | 'assistant' | 'message';

export interface LoggedTurn {
  index: number;
  userText: string;
  assistantText: string;
  interrupted: boolean;
  metrics: TurnMetrics;
}

/** An audio file of a call, written by its transport. */
export interface RecordedFile {
  path: string;
  format: 'wav';
  durationMs: number | null;
}

/** Where the log goes (the control plane's calls repository in the gateway; memory in tests). */
export interface CallLogSink {
  start(info: CallInfo, startedAt: Date): Promise<void>;
  segment(callId: string, speaker: Speaker, text: string, atMs: number): Promise<void>;
  turn(callId: string, turn: LoggedTurn): Promise<void>;
  end(callId: string, reason: string, summary: string | null): Promise<void>;
  recording(callId: string, file: RecordedFile): Promise<void>;
}

interface OpenCall {
  t0: number;
  queue: Promise<void>;
  userText: string;
  assistantText: string;
  interrupted: boolean;
  spoken: string;
  /** A reply has text not yet written as a transcript segment. */
  replyOpen: boolean;
  summary: string | null;
}

export class CallLog implements MessageStore {
  private readonly open = new Map<string, OpenCall>();
  /** Recording registrations still being written (they may outlive their call's entry in `open`). */
  private readonly late = new Set<Promise<void>>();

  constructor(
    private readonly sink: CallLogSink,
    private readonly log: Logger,
  ) {}

  get openCalls(): number {
    return this.open.size;
  }

  /** The same factory, with every call it makes recorded. */
  wrap(factory: PipelineFactory): PipelineFactory {
    return (info) => this.track(factory(info));
  }

  /** MessageStore: a taken message is written to the call's transcript at once and becomes its summary. */
  async save(m: TakenMessage): Promise<void> {
    const summary = `Message from ${m.callerName}, callback ${m.callbackNumber}: ${m.reason}`;
    const call = m.callId ? this.open.get(m.callId) : undefined;
    if (!m.callId || !call) throw new Error('a message can only be stored during its call');
    call.summary = summary;
    // Awaited (unlike transcript writes): the secretary tells the caller whether saving worked.
    await this.enqueue(m.callId, call, () => this.sink.segment(m.callId!, 'message', JSON.stringify(m), this.at(call)), true);
  }

  /**
   * Register a call's recording files. Queued behind the call's other writes while it is still
   * open (its row must exist first: foreign key); a failure is logged, never thrown at the caller,
   * which is tearing a call down.
   */
  recording(callId: string, files: RecordedFile[]): Promise<void> {
    const call = this.open.get(callId);
    const writeAll = async () => {
      for (const f of files) await this.sink.recording(callId, f);
    };
    const done = (call ? call.queue.then(writeAll) : writeAll()).catch((err: Error) =>
      this.log.error({ err, callId }, 'registering a call recording failed'),
    );
    if (call) call.queue = done;
    this.late.add(done);
    void done.finally(() => this.late.delete(done));
    return done;
  }

  /** Resolves once everything queued for open calls, and every recording registration, has been written (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...[...this.open.values()].map((c) => c.queue), ...this.late]);
  }

  private track(pipeline: CallPipeline): CallPipeline {
    const { callId } = pipeline.info;
    const call: OpenCall = { t0: performance.now(), queue: Promise.resolve(), userText: '', assistantText: '', interrupted: false, spoken: '', replyOpen: false, summary: null };
    this.open.set(callId, call);
    void this.enqueue(callId, call, () => this.sink.start(pipeline.info, new Date()));
    pipeline.onEvent((e) => this.onEvent(callId, call, e));
    const close = pipeline.close.bind(pipeline);
    let ended = false;
    pipeline.close = async (reason: string) => {
      if (!ended) {
        ended = true;
        this.flushAssistant(callId, call);
        void this.enqueue(callId, call, () => this.sink.end(callId, reason, call.summary)).finally(() => {
          if (this.open.get(callId) === call) this.open.delete(callId);
        });
      }
      return close(reason);
    };
    return pipeline;
  }

  private onEvent(callId: string, call: OpenCall, e: PipelineEvent): void {
    switch (e.type) {
      case 'transcript':
        if (!e.final) return;
        this.flushAssistant(callId, call);
        call.userText = e.text;
        void this.enqueue(callId, call, () => this.sink.segment(callId, 'caller', e.text, this.at(call)));
        return;
      case 'response_text_delta':
        call.assistantText += e.text;
        call.replyOpen = true;
        return;
      case 'interrupted':
        call.interrupted = true;
        call.spoken = e.spoken_text ?? '';
        return;
      case 'response_audio_end':
        this.flushAssistant(callId, call);
        return;
      case 'turn_metrics': {
        this.flushAssistant(callId, call);
        const turn: LoggedTurn = { index: e.metrics.turn, userText: call.userText, assistantText: call.spoken, interrupted: call.interrupted, metrics: e.metrics };
        call.userText = '';
        call.spoken = '';
        call.interrupted = false;
        void this.enqueue(callId, call, () => this.sink.turn(callId, turn));
        return;
      }
    }
  }

  /** The reply so far becomes a transcript segment: what the caller heard, when interrupted. */
  private flushAssistant(callId: string, call: OpenCall): void {
    if (!call.replyOpen) return;
    call.replyOpen = false;
    const text = (call.interrupted ? call.spoken : call.assistantText).trim();
    if (!call.interrupted) call.spoken = text;
    call.assistantText = '';
    if (text) void this.enqueue(callId, call, () => this.sink.segment(callId, 'assistant', text, this.at(call)));
  }

  private at(call: OpenCall): number {
    return Math.round(performance.now() - call.t0);
  }

  private enqueue(callId: string, call: OpenCall, write: () => Promise<void>, rethrow = false): Promise<void> {
    const result = call.queue.then(write);
    call.queue = result.catch((err: Error) => this.log.error({ err, callId }, 'call log write failed'));
    return rethrow ? result : call.queue;
  }
}
