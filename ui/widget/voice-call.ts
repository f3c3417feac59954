/**
 * The voice button's call: the microphone to the gateway's voice WebSocket (docs/protocol.md) as
 * 16 kHz PCM16 in 20 ms frames, and the reply's audio played as it arrives. Hands-free: the
 * gateway's VAD finds the visitor's turns, and barging in works as on the phone (an `interrupted`
 * event drops what is queued here). The token is the visitor's one-call voice token, sent as the
 * `bearer.<token>` subprotocol (browsers cannot set headers on a WebSocket).
 */
const RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz

export interface VoiceHandlers {
  /** The visitor's words, as the gateway heard them (final transcripts). */
  onTranscript(text: string): void;
  /** Reply text as it is produced. */
  onReplyText(text: string): void;
  /** A reply's audio ended (the next text is a new reply). */
  onReplyEnd(): void;
  /** The call is over: `error` says why when it did not end normally. */
  onEnd(error?: string): void;
}

export class VoiceCall {
  #ws: WebSocket | null = null;
  #ctx: AudioContext | null = null;
  #stream: MediaStream | null = null;
  #proc: ScriptProcessorNode | null = null;
  #playAt = 0;
  readonly #playing = new Set<AudioBufferSourceNode>();
  #ended = false;

  constructor(private readonly h: VoiceHandlers) {}

  /** Ask for the microphone and connect; must run from a click (audio may only start on a gesture). */
  async start(url: string, token: string): Promise<void> {
    this.#ctx = new AudioContext({ sampleRate: RATE });
    this.#stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    const ws = new WebSocket(url, ['voice.v1', `bearer.${token}`]);
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => ws.send(JSON.stringify({ type: 'start', codec: 'pcm16', sample_rate: RATE }));
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) return this.#play(new Int16Array(e.data));
      const msg = JSON.parse(String(e.data)) as { type: string; text?: string; final?: boolean; message?: string };
      if (msg.type === 'started') this.#capture();
      else if (msg.type === 'transcript' && msg.final && msg.text) this.h.onTranscript(msg.text);
      else if (msg.type === 'response_text_delta' && msg.text) this.h.onReplyText(msg.text);
      else if (msg.type === 'response_audio_end') this.h.onReplyEnd();
      else if (msg.type === 'interrupted') this.#silence();
      else if (msg.type === 'error' && msg.message) console.warn('voice-gateway widget:', msg.message);
    };
    ws.onclose = (e) => this.#finish(e.code === 1000 || e.code === 1001 ? undefined : `closed (${e.code})`);
    ws.onerror = () => this.#finish('connection failed');
  }

  stop(): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ type: 'hangup', reason: 'visitor' }));
    this.#finish();
  }

  #capture(): void {
    const ctx = this.#ctx!;
    const source = ctx.createMediaStreamSource(this.#stream!);
    // ScriptProcessor rather than an AudioWorklet: a worklet needs a module URL, which a host page's CSP may forbid.
    const proc = ctx.createScriptProcessor(2048, 1, 1);
    let frame = new Int16Array(FRAME);
    let filled = 0;
    proc.onaudioprocess = (e) => {
      const input = e.inputBuffer.getChannelData(0);
      for (let i = 0; i < input.length; i++) {
        const v = Math.max(-1, Math.min(1, input[i]));
        frame[filled++] = v < 0 ? v * 0x8000 : v * 0x7fff;
        if (filled === FRAME) {
          if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(frame.buffer);
          frame = new Int16Array(FRAME);
          filled = 0;
        }
      }
    };
    source.connect(proc);
    proc.connect(ctx.destination); // outputs silence; connected so the browser runs it
    this.#proc = proc;
  }

  #play(pcm: Int16Array): void {
    const ctx = this.#ctx;
    if (!ctx || !pcm.length) return;
    const buffer = ctx.createBuffer(1, pcm.length, RATE);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 0x8000;
    const node = ctx.createBufferSource();
    node.buffer = buffer;
    node.connect(ctx.destination);
    this.#playAt = Math.max(this.#playAt, ctx.currentTime + 0.05);
    node.start(this.#playAt);
    this.#playAt += buffer.duration;
    this.#playing.add(node);
    node.onended = () => this.#playing.delete(node);
  }

  /** The visitor barged in: what is queued here must not play on. */
  #silence(): void {
    for (const node of this.#playing) node.stop();
    this.#playing.clear();
    this.#playAt = 0;
  }

  #finish(error?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#silence();
    this.#proc?.disconnect();
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    if (this.#ws && this.#ws.readyState <= WebSocket.OPEN) this.#ws.close(1000);
    void this.#ctx?.close();
    this.h.onEnd(error);
  }
}
