/** Vite's `?worker&url` imports: the module bundled on its own, imported as its URL (the softphone's AudioWorklets). */
declare module '*?worker&url' {
  const url: string;
  export default url;
}
