// Stylesheets imported as text (Vite's `?inline`; the package's rollup config does the same).
declare module '*.css?inline' {
  const css: string;
  export default css;
}
