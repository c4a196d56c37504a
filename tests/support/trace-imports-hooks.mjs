import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.HOTEL_TRACE_IMPORTS) appendFileSync(process.env.HOTEL_TRACE_IMPORTS, `${result.url}\n`);
  return result;
}
