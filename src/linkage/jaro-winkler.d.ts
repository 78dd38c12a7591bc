/** Types for `jaro-winkler` 0.2.8 (a UMD module without its own): Jaro–Winkler similarity in [0, 1]. */
declare module "jaro-winkler" {
  export default function distance(a: string, b: string, options?: { caseSensitive?: boolean }): number;
}
