// Node resolve hook: the pages import their modules as "/static/<name>.js" (the URL the edge
// serves them under); here that is edge/pages/static/<name>.js, so tests run the very same files.
const STATIC = new URL("../../../edge/pages/static/", import.meta.url);

export async function resolve(specifier, context, next) {
  if (specifier.startsWith("/static/")) return next(new URL(specifier.slice("/static/".length), STATIC).href, context);
  return next(specifier, context);
}
