// GET|HEAD /v1/sys/health with Vault's query overrides and status precedence (http/sys_health.go):
// uninit > removed > sealed > HA unhealthy > DR secondary > perf standby > standby > active.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { sendErrors } from './http-util.ts';
import { maybeSendHugeError } from './huge-error.ts';

const CODE_DEFAULTS: Record<string, number> = {
  uninitcode: 501,
  sealedcode: 503,
  standbycode: 429,
  activecode: 200,
  drsecondarycode: 472,
  performancestandbycode: 473,
  haunhealthycode: 474,
  removedcode: 530,
};

// parseutil.ParseBool via mapstructure WeakDecode: strconv.ParseBool spellings, "" = false.
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function parseQuery(q: URLSearchParams): { codes: Record<string, number>; standbyOk: boolean } | undefined {
  const standby = parseBool(q.get('standbyok') ?? '');
  const perf = parseBool(q.get('perfstandbyok') ?? '');
  if (standby === undefined || perf === undefined) return undefined;
  const codes: Record<string, number> = { ...CODE_DEFAULTS };
  for (const name of Object.keys(CODE_DEFAULTS)) {
    const raw = q.get(name);
    if (raw === null) continue;
    if (!/^[+-]?\d+$/.test(raw)) return undefined;
    codes[name] = Number(raw);
  }
  return { codes, standbyOk: standby };
}

// Status code and body for node i (body fields per HealthResponse; cluster_* omitted while sealed).
export function healthOf(
  state: ClusterState,
  i: number,
  q: URLSearchParams,
): { code: number; body: unknown } | undefined {
  const parsed = parseQuery(q);
  if (parsed === undefined) return undefined;
  const sealed = !state.isAvailable(i);
  const standby = sealed || !state.isActiveNode(i);
  const { codes } = parsed;
  let code = codes['activecode'] ?? 200;
  if (sealed) code = codes['sealedcode'] ?? 503;
  else if (standby && !parsed.standbyOk) code = codes['standbycode'] ?? 429;
  const info = state.clusterInfo();
  const body = {
    initialized: true,
    sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: state.version,
    enterprise: false,
    ...(sealed ? {} : { cluster_name: info.name, cluster_id: info.id }),
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  return { code, body };
}

export function handleHealth(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
  q: URLSearchParams,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendErrors(res, 405, []);
  if (maybeSendHugeError(state, req, res)) return;
  const h = healthOf(state, i, q);
  if (req.method === 'HEAD') {
    res.writeHead(h?.code ?? 400, h === undefined ? {} : { 'Content-Type': 'application/json' });
    res.end();
    return;
  }
  if (h === undefined) return sendErrors(res, 400, []);
  const text = `${JSON.stringify(h.body)}\n`;
  res.writeHead(h.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
