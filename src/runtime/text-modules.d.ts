/** Workers: the files wrangler.toml's `[[rules]] type = "Text"` imports as text modules. */
declare module "*.css" {
  const text: string;
  export default text;
}

declare module "nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js" {
  const text: string;
  export default text;
}
