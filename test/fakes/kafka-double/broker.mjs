// One simulated Kafka broker process: `node broker.mjs <install dir> <server.properties>`,
// normally through <install>/bin/kafka-server-start.sh. Behaviour: SPEC.md.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import {
  API,
  CONFIG_SOURCE,
  ERROR,
  RESOURCE,
  Framer,
  apiVersionsOf,
  apiVersionsResponse,
  describeConfigsResponse,
  familyIndex,
  frameResponse,
  frameToken,
  metadataResponse,
  parseDescribeConfigsRequest,
  parseHeader,
  parseMetadataRequest,
  saslAuthenticateResponse,
  saslHandshakeResponse,
} from './protocol.mjs';
import { MECHANISMS, saslServer } from './sasl.mjs';
import { clusterView, readCluster, readFaults, register, unregister } from './state.mjs';

const [installArg, configFile] = process.argv.slice(2);
const install = realpathSync(installArg);
const stateDir = process.env.KAFKA_DOUBLE_STATE;
const logDir = process.env.LOG_DIR || join(install, 'logs');
mkdirSync(logDir, { recursive: true });
const logFile = join(logDir, 'server.log');

function log(level, message) {
  const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '');
  appendFileSync(logFile, `[${stamp}] ${level} ${message}\n`);
}

function fatal(message) {
  log('FATAL', `Fatal error during KafkaServer startup. Prepare to shutdown (kafka.server.KafkaServerStartable): ${message}`);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function parseProperties(text) {
  const out = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at < 0) out[line] = '';
    else out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

if (!stateDir || !existsSync(stateDir)) fatal(`KAFKA_DOUBLE_STATE does not name a state directory: ${stateDir}`);
const props = parseProperties(readFileSync(configFile, 'utf8'));
const id = Number(props['broker.id']);
if (!Number.isInteger(id) || id < 0) fatal(`broker.id missing or invalid in ${configFile}`);
const jars = readdirSync(join(install, 'libs'))
  .map((n) => /^kafka_\d+(?:\.\d+)+-(\d+(?:\.\d+)+)\.jar$/.exec(n)?.[1])
  .filter(Boolean);
const release = jars[0];
if (!release || familyIndex(release) < 0) fatal(`no libs/kafka_*.jar of a known release in ${install}`);

const listener = /^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL):\/\/([^:]*):(\d+)$/.exec(props.listeners ?? '');
const protocol = listener ? listener[1] : 'PLAINTEXT';
const host = listener ? listener[2] : (props['host.name'] ?? '127.0.0.1');
const port = Number(listener ? listener[3] : props.port);
if (host !== '127.0.0.1') fatal(`the double listens on 127.0.0.1 only, not ${host}`);
if (!Number.isInteger(port) || port <= 0) fatal('no listener port in listeners= or port=');
const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
const sasl = protocol.startsWith('SASL_');
const saslMechanisms = (props['sasl.enabled.mechanisms'] ?? 'PLAIN')
  .split(',')
  .map((m) => m.trim())
  .filter((m) => MECHANISMS.includes(m));
function tlsOptions() {
  if (props['ssl.keystore.type'] !== 'PEM' || !props['ssl.keystore.location'])
    fatal('an SSL listener needs ssl.keystore.type=PEM and ssl.keystore.location');
  const pem = readFileSync(props['ssl.keystore.location'], 'utf8');
  const clientAuth = props['ssl.client.auth'] === 'required';
  return {
    key: pem,
    cert: pem,
    requestCert: clientAuth,
    rejectUnauthorized: clientAuth,
    ...(clientAuth ? { ca: readFileSync(props['ssl.truststore.location'], 'utf8') } : {}),
  };
}

const ibp = props['inter.broker.protocol.version'] ?? release;
const lmfv = props['log.message.format.version'] ?? ibp;
for (const [key, value] of [
  ['inter.broker.protocol.version', ibp],
  ['log.message.format.version', lmfv],
]) {
  const index = familyIndex(value);
  if (index < 0 || index > familyIndex(release)) fatal(`${key}=${value} is not a version Kafka ${release} knows`);
}
if (familyIndex(lmfv) > familyIndex(ibp)) {
  fatal(`log.message.format.version ${lmfv} cannot be used when inter.broker.protocol.version is set to ${ibp}`);
}

const cluster = readCluster(stateDir);
const faults = readFaults(stateDir, id);
const defaults = cluster.defaults ?? {};
log('INFO', `[Kafka Server ${id}], starting (kafka.server.KafkaServer) release=${release} ibp=${ibp} lmfv=${lmfv}`);
if (faults.failStart) fatal(`told to fail (faults/${id}.json)`);

const supported = apiVersionsOf(release);
const startedAt = Date.now();
let registration;

function brokerConfigEntries() {
  const all = { ...props, 'inter.broker.protocol.version': ibp, 'log.message.format.version': lmfv };
  return Object.entries(all).map(([name, value]) => ({
    name,
    value,
    readOnly: true,
    sensitive: /password/i.test(name),
    source: name in props ? CONFIG_SOURCE.STATIC_BROKER_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG,
  }));
}

/** One DescribeConfigs request's answers, from the topics as cluster.json holds them at that moment. */
const configAnswers = (topics) => (resource) => answerConfig(resource, topics);

function answerConfig(resource, topics) {
  if (resource.type === RESOURCE.BROKER) {
    if (resource.name !== String(id))
      return { error: ERROR.INVALID_REQUEST, message: `broker ${id} cannot describe broker ${resource.name}`, entries: [] };
    return { error: ERROR.NONE, entries: brokerConfigEntries() };
  }
  if (resource.type === RESOURCE.TOPIC) {
    const topic = topics.get(resource.name);
    if (!topic) return { error: ERROR.UNKNOWN_TOPIC_OR_PARTITION, message: `topic ${resource.name} does not exist`, entries: [] };
    const config = topic.config ?? {};
    const entries = Object.entries(config).map(([name, value]) => ({
      name,
      value: String(value),
      readOnly: false,
      sensitive: false,
      source: CONFIG_SOURCE.TOPIC_CONFIG,
    }));
    if (!('min.insync.replicas' in config))
      entries.push({ name: 'min.insync.replicas', value: '1', readOnly: false, sensitive: false, source: CONFIG_SOURCE.DEFAULT_CONFIG });
    return { error: ERROR.NONE, entries };
  }
  return { error: ERROR.INVALID_REQUEST, message: `resource type ${resource.type} not supported`, entries: [] };
}

/** The response body, or undefined to close the connection (unknown API or version, or not authenticated yet). */
function handle({ apiKey, apiVersion, body }, conn) {
  const range = supported.get(apiKey);
  if (apiKey === API.ApiVersions) return apiVersionsResponse(apiVersion, supported);
  if (!range || apiVersion < range[0] || apiVersion > range[1]) return undefined;
  if (apiKey === API.SaslHandshake) {
    const mechanism = body.string();
    if (!sasl || !saslMechanisms.includes(mechanism)) return saslHandshakeResponse(ERROR.UNSUPPORTED_SASL_MECHANISM, saslMechanisms);
    conn.auth = saslServer(mechanism, cluster.users ?? {});
    // Handshake v0: the tokens follow without Kafka headers; v1: inside SaslAuthenticate requests.
    conn.raw = apiVersion === 0;
    return saslHandshakeResponse(ERROR.NONE, saslMechanisms);
  }
  if (apiKey === API.SaslAuthenticate) {
    if (!conn.auth) return undefined;
    const result = conn.auth.step(body.bytes());
    if (result.error) {
      log('INFO', `Failed authentication with /127.0.0.1 (${result.error}) (org.apache.kafka.common.network.Selector)`);
      return saslAuthenticateResponse(apiVersion, ERROR.SASL_AUTHENTICATION_FAILED, result.error, Buffer.alloc(0));
    }
    if (result.done) conn.authenticated = true;
    return saslAuthenticateResponse(apiVersion, ERROR.NONE, null, result.reply ?? Buffer.alloc(0));
  }
  if (!conn.authenticated) return undefined;
  if (apiKey === API.Metadata) {
    const view = laggingViews[0]?.view ?? clusterView(stateDir);
    return metadataResponse(apiVersion, view, parseMetadataRequest(apiVersion, body));
  }
  if (apiKey === API.DescribeConfigs) {
    const { resources } = parseDescribeConfigsRequest(apiVersion, body);
    const topics = new Map(readCluster(stateDir).topics.map((t) => [t.name, t]));
    return describeConfigsResponse(apiVersion, resources, configAnswers(topics));
  }
  return undefined;
}

/** A raw SASL token (after SaslHandshake v0): answered with a raw token, or the connection closed on failure. */
function rawToken(token, conn, socket) {
  const result = conn.auth.step(token);
  if (result.error) {
    log('INFO', `Failed authentication with /127.0.0.1 (${result.error}) (org.apache.kafka.common.network.Selector)`);
    return socket.destroy();
  }
  if (result.done) {
    conn.authenticated = true;
    conn.raw = false;
  }
  socket.write(frameToken(result.reply ?? Buffer.alloc(0)));
}

const sockets = new Set();
function onConnection(socket) {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => undefined);
  const conn = { authenticated: !sasl, raw: false, auth: undefined };
  const framer = new Framer((frame) => {
    if (conn.raw) return rawToken(frame, conn, socket);
    let response;
    const request = parseHeader(frame);
    try {
      response = handle(request, conn);
    } catch (error) {
      log('ERROR', `request ${request.apiKey} v${request.apiVersion} failed: ${error.message}`);
    }
    if (response === undefined) socket.destroy();
    else socket.write(frameResponse(request.correlationId, response));
  });
  socket.on('data', (data) => framer.feed(data));
}
const server = tls ? createTlsServer(tlsOptions(), onConnection) : createServer(onConnection);

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log('INFO', `[Kafka Server ${id}], shutting down (kafka.server.KafkaServer) on ${signal}`);
  if (!registration) return exit(0);
  log('INFO', `[Kafka Server ${id}], Starting controlled shutdown (kafka.server.KafkaServer)`);
  // Leadership and ISR membership move away at once; the broker stays registered meanwhile.
  register(stateDir, { ...registration, shuttingDown: true });
  setTimeout(() => {
    log('INFO', `[Kafka Server ${id}], Controlled shutdown succeeded (kafka.server.KafkaServer)`);
    exit(0);
  }, defaults.controlledShutdownMs ?? 300);
}

function exit(code) {
  unregister(stateDir, id, process.pid);
  for (const socket of sockets) socket.destroy();
  server.close();
  log('INFO', `[Kafka Server ${id}], shut down completed (kafka.server.KafkaServer)`);
  process.exit(code);
}

process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

// A broker told never to catch up joins its ISRs once the fault is cleared (a healed network).
setInterval(() => {
  if (!registration || registration.caughtUpAt !== null || stopping || readFaults(stateDir, id).neverCatchUp) return;
  registration = { ...registration, caughtUpAt: Date.now() + (faults.catchUpMs ?? defaults.catchUpMs ?? 500) };
  register(stateDir, registration);
  log('INFO', `[Kafka Server ${id}], fault cleared: catching up`);
}, 200).unref();

// Fault metadataLagMs (re-read every 50 ms): Metadata is answered from the cluster as it was that
// long ago, as a real broker answers from its metadata cache while its controller's updates lag
// (e.g. for seconds while a new controller takes over).
const laggingViews = [];
setInterval(() => {
  const lagMs = readFaults(stateDir, id).metadataLagMs ?? 0;
  if (lagMs <= 0) return void (laggingViews.length = 0);
  const now = Date.now();
  laggingViews.push({ at: now, view: clusterView(stateDir) });
  while (laggingViews.length > 1 && laggingViews[1].at <= now - lagMs) laggingViews.shift();
}, 50).unref();

// Bounded lifetime: a forgotten broker goes away by itself.
const maxLifetimeMs = Number(process.env.KAFKA_DOUBLE_MAX_LIFETIME_S ?? 900) * 1000;
setInterval(() => {
  if (!existsSync(stateDir)) process.exit(0);
  if (Date.now() - startedAt > maxLifetimeMs) exit(0);
}, 1000).unref();

setTimeout(() => {
  server.once('error', (error) => fatal(`cannot listen on 127.0.0.1:${port}: ${error.message}`));
  server.listen(port, '127.0.0.1', () => {
    const catchUpMs = faults.catchUpMs ?? defaults.catchUpMs ?? 500;
    registration = {
      id,
      host,
      port,
      pid: process.pid,
      release,
      ibp,
      lmfv,
      registeredAt: Date.now(),
      caughtUpAt: faults.neverCatchUp ? null : Date.now() + catchUpMs,
      shuttingDown: false,
    };
    register(stateDir, registration);
    log('INFO', `[Kafka Server ${id}], started (kafka.server.KafkaServer)`);
  });
}, defaults.startDelayMs ?? 0);
