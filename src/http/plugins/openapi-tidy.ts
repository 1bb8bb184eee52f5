/**
 * What makes the generated OpenAPI document good to generate a client from:
 * an operationId on every operation, each component schema once and used,
 * a discriminator on the event union, every response described. Pure
 * functions over the document, applied after the zod transforms.
 */
type Json = Record<string, unknown>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const REF = '#/components/schemas/';

/** Names a client developer reads: `client.GET('/v1/inventory')` or `operations['getInventory']`. */
const OPERATION_IDS: Record<string, string> = {
  'GET /openapi.json': 'getOpenApiDocument',
  'POST /v1/events': 'recordEvents',
  'GET /v1/events': 'listEvents',
  'GET /v1/events/export': 'exportEvents',
  'GET /v1/shipments': 'listShipments',
  'GET /v1/shipments/{shipmentId}': 'getShipment',
  'GET /v1/items/{serial}': 'getItemCustody',
  'GET /v1/streams/{id}': 'readStream',
  'GET /v1/positions/stream': 'streamPositions',
};

/** `GET /v1/donors` → `getDonors`; `/a/{b}` → `getAByB`: for a route not named above. */
export function derivedOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '' && s !== 'v1')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

function operations(document: Json): [string, string, Json][] {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => [path, method, op] as [string, string, Json]),
  );
}

export function addOperationIds(document: Json): void {
  for (const [path, method, op] of operations(document))
    op.operationId ??= OPERATION_IDS[`${method.toUpperCase()} ${path}`] ?? derivedOperationId(method, path);
}

/** Every `$ref` to a component schema in `value`. */
function refsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, into);
  else if (value !== null && typeof value === 'object')
    for (const [key, v] of Object.entries(value))
      if (key === '$ref' && typeof v === 'string' && v.startsWith(REF)) into.add(v.slice(REF.length));
      else refsIn(v, into);
  return into;
}

function renameRefs(value: unknown, renames: Map<string, string>): void {
  if (Array.isArray(value)) for (const v of value) renameRefs(v, renames);
  else if (value !== null && typeof value === 'object') {
    const object = value as Json;
    for (const [key, v] of Object.entries(object))
      if (key === '$ref' && typeof v === 'string' && v.startsWith(REF)) {
        const renamed = renames.get(v.slice(REF.length));
        if (renamed !== undefined) object.$ref = REF + renamed;
      } else renameRefs(v, renames);
  }
}

/**
 * The zod transform writes each schema twice, as output (`X`) and input
 * (`XInput`; `XInputInput` when the id already ends in Input), and keeps
 * both whether used or not. Keeps the schemas reachable from the paths,
 * under one name each: the input variant takes the plain name when the
 * output variant is not used.
 */
export function tidySchemas(document: Json): void {
  const components = (document.components ?? {}) as { schemas?: Record<string, Json> };
  const schemas = components.schemas;
  if (!schemas) return;
  const reachable = new Set<string>();
  const pending = [...refsIn(document.paths)];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (reachable.has(name) || !schemas[name]) continue;
    reachable.add(name);
    pending.push(...refsIn(schemas[name]));
  }
  for (const name of Object.keys(schemas)) if (!reachable.has(name)) delete schemas[name];
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const plain = name.slice(0, -'Input'.length);
    if (schemas[plain] === undefined && !renames.has(plain)) renames.set(name, plain);
  }
  for (const [from, to] of renames) {
    schemas[to] = schemas[from]!;
    delete schemas[from];
  }
  renameRefs(document, renames);
}

/** A `oneOf` whose every branch is an object schema with a constant `type`: the event union. */
export function addDiscriminators(document: Json): void {
  const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const constantType = (ref: unknown): string | undefined => {
    if (typeof ref !== 'string' || !ref.startsWith(REF)) return undefined;
    const type = (schemas[ref.slice(REF.length)]?.properties as Record<string, Json> | undefined)?.type;
    return typeof type?.const === 'string' ? type.const : undefined;
  };
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const object = value as Json;
    const branches = object.oneOf;
    if (Array.isArray(branches) && branches.length > 1 && object.discriminator === undefined) {
      const mapping: Record<string, string> = {};
      for (const branch of branches as Json[]) {
        const type = constantType(branch.$ref);
        if (type === undefined) break;
        mapping[type] = branch.$ref as string;
      }
      if (Object.keys(mapping).length === branches.length) object.discriminator = { propertyName: 'type', mapping };
    }
    Object.values(object).forEach(visit);
  };
  visit(document.paths);
  visit(schemas);
}

/** Replaces the generator's "Default Response" with what the answer is. */
export function describeResponses(document: Json, descriptions: Record<string, string>): void {
  for (const [path, method, op] of operations(document)) {
    const responses = (op.responses ?? {}) as Record<string, Json>;
    for (const [status, response] of Object.entries(responses)) {
      if (response.description !== 'Default Response') continue;
      response.description =
        descriptions[`${method.toUpperCase()} ${path} ${status}`] ??
        descriptions[`${method.toUpperCase()} ${path}`] ??
        (typeof op.summary === 'string' ? op.summary : `${status} answer`);
    }
  }
}
