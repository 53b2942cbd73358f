// Kafka wire protocol, the small part the double speaks (non-flexible versions only).
// Plain JavaScript so each simulated broker runs under bare `node`, like a real broker's launcher.

export const API = { Metadata: 3, SaslHandshake: 17, ApiVersions: 18, DescribeConfigs: 32, SaslAuthenticate: 36 };
export const ERROR = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  UNSUPPORTED_SASL_MECHANISM: 33,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  SASL_AUTHENTICATION_FAILED: 58,
};
export const RESOURCE = { TOPIC: 2, BROKER: 4 };
export const CONFIG_SOURCE = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

/** Release families in order; a version string is known to a release when its family is not newer. */
export const FAMILIES = [
  '0.8.0',
  '0.8.1',
  '0.8.2',
  '0.9.0',
  '0.10.0',
  '0.10.1',
  '0.10.2',
  '0.11.0',
  '1.0',
  '1.1',
  '2.0',
  '2.1',
  '2.2',
  '2.3',
  '2.4',
  '2.5',
  '2.6',
  '2.7',
  '2.8',
  '3.0',
  '3.1',
  '3.2',
  '3.3',
  '3.4',
  '3.5',
  '3.6',
  '3.7',
  '3.8',
  '3.9',
];

/** "0.10.2.1" → "0.10.2", "2.8.1" → "2.8", "0.11.0-IV2" → "0.11.0"; undefined when not a known family. */
export function familyOf(version) {
  const base = String(version).split('-')[0];
  const parts = base.split('.');
  const candidate = parts[0] === '0' ? parts.slice(0, 3).join('.') : parts.slice(0, 2).join('.');
  return FAMILIES.includes(candidate) ? candidate : undefined;
}

export const familyIndex = (version) => FAMILIES.indexOf(familyOf(version) ?? '');

/** [min, max] per API key that a broker of `release` supports (see SPEC.md). */
export function apiVersionsOf(release) {
  const at = (family) => familyIndex(release) >= FAMILIES.indexOf(family);
  const versions = new Map();
  versions.set(API.ApiVersions, [0, at('2.0') ? 2 : at('0.11.0') ? 1 : 0]);
  versions.set(API.Metadata, [0, at('2.0') ? 6 : at('1.0') ? 5 : at('0.11.0') ? 4 : at('0.10.1') ? 2 : 1]);
  if (at('0.11.0')) versions.set(API.DescribeConfigs, [0, at('2.0') ? 2 : at('1.1') ? 1 : 0]);
  versions.set(API.SaslHandshake, [0, at('1.0') ? 1 : 0]);
  if (at('1.0')) versions.set(API.SaslAuthenticate, [0, at('2.2') ? 1 : 0]);
  return versions;
}

export class Reader {
  constructor(buffer) {
    this.buffer = buffer;
    this.offset = 0;
  }
  int8() {
    const v = this.buffer.readInt8(this.offset);
    this.offset += 1;
    return v;
  }
  int16() {
    const v = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32() {
    const v = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bool() {
    return this.int8() !== 0;
  }
  nullableString() {
    const length = this.int16();
    if (length < 0) return null;
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  string() {
    return this.nullableString() ?? '';
  }
  bytes() {
    const length = this.int32();
    const value = this.buffer.subarray(this.offset, this.offset + Math.max(0, length));
    this.offset += Math.max(0, length);
    return value;
  }
  /** null for a null array (length -1). */
  nullableArray(item) {
    const length = this.int32();
    if (length < 0) return null;
    return Array.from({ length }, () => item(this));
  }
  remaining() {
    return this.buffer.length - this.offset;
  }
}

export class Writer {
  constructor() {
    this.chunks = [];
  }
  push(size, write) {
    const b = Buffer.alloc(size);
    write(b);
    this.chunks.push(b);
    return this;
  }
  int8(v) {
    return this.push(1, (b) => b.writeInt8(v));
  }
  int16(v) {
    return this.push(2, (b) => b.writeInt16BE(v));
  }
  int32(v) {
    return this.push(4, (b) => b.writeInt32BE(v));
  }
  bool(v) {
    return this.int8(v ? 1 : 0);
  }
  nullableString(v) {
    if (v === null || v === undefined) return this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    this.int16(bytes.length);
    this.chunks.push(bytes);
    return this;
  }
  string(v) {
    return this.nullableString(v ?? '');
  }
  bytes(v) {
    this.int32(v.length);
    this.chunks.push(Buffer.from(v));
    return this;
  }
  int64(v) {
    return this.push(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }
  array(items, write) {
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }
  int32Array(items) {
    return this.array(items, (w, v) => w.int32(v));
  }
  toBuffer() {
    return Buffer.concat(this.chunks);
  }
}

/** Splits a byte stream into size-prefixed frames. */
export class Framer {
  constructor(onFrame) {
    this.pending = Buffer.alloc(0);
    this.onFrame = onFrame;
  }
  feed(data) {
    this.pending = Buffer.concat([this.pending, data]);
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) return;
      const frame = this.pending.subarray(4, 4 + size);
      this.pending = this.pending.subarray(4 + size);
      this.onFrame(frame);
    }
  }
}

export function parseHeader(frame) {
  const reader = new Reader(frame);
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const clientId = reader.nullableString();
  return { apiKey, apiVersion, correlationId, clientId, body: reader };
}

export function frameResponse(correlationId, body) {
  const header = Buffer.alloc(8);
  header.writeInt32BE(4 + body.length, 0);
  header.writeInt32BE(correlationId, 4);
  return Buffer.concat([header, body]);
}

// ------------------------------------------------------------------------------------
// Responses, from a cluster view (see state.mjs `clusterView`).

export function apiVersionsResponse(version, supported) {
  const w = new Writer();
  const [, max] = supported.get(API.ApiVersions);
  const known = version <= max;
  w.int16(known ? ERROR.NONE : ERROR.UNSUPPORTED_VERSION);
  w.array([...supported.entries()], (x, [key, [lo, hi]]) => x.int16(key).int16(lo).int16(hi));
  // An unsupported version is answered in v0 format (no throttle time), as Kafka does.
  if (known && version >= 1) w.int32(0);
  return w.toBuffer();
}

export function parseMetadataRequest(version, reader) {
  const topics = reader.nullableArray((r) => r.string());
  // v0: an empty list means every topic; v1+: null means every topic.
  if (version === 0 && topics !== null && topics.length === 0) return null;
  return topics;
}

export function metadataResponse(version, view, requested) {
  const w = new Writer();
  if (version >= 3) w.int32(0); // throttle_time_ms
  w.array(view.brokers, (x, b) => {
    x.int32(b.id).string(b.host).int32(b.port);
    if (version >= 1) x.nullableString(null); // rack
  });
  if (version >= 2) w.nullableString(view.clusterId);
  if (version >= 1) w.int32(view.controller ?? -1);
  const names = requested ?? view.topics.map((t) => t.name);
  w.array(names, (x, name) => {
    const topic = view.topics.find((t) => t.name === name);
    x.int16(topic ? ERROR.NONE : ERROR.UNKNOWN_TOPIC_OR_PARTITION).string(name);
    if (version >= 1) x.bool(false); // is_internal
    x.array(topic ? topic.partitions : [], (y, p) => {
      y.int16(p.leader < 0 ? ERROR.LEADER_NOT_AVAILABLE : ERROR.NONE)
        .int32(p.partition)
        .int32(p.leader);
      y.int32Array(p.replicas).int32Array(p.isr);
      if (version >= 5) y.int32Array(p.offlineReplicas);
    });
  });
  return w.toBuffer();
}

export function parseDescribeConfigsRequest(version, reader) {
  const resources =
    reader.nullableArray((r) => ({ type: r.int8(), name: r.string(), configNames: r.nullableArray((s) => s.string()) })) ?? [];
  const includeSynonyms = version >= 1 && reader.remaining() > 0 ? reader.bool() : false;
  return { resources, includeSynonyms };
}

/**
 * `answer(resource)` → { error, message, entries: [{ name, value, readOnly, source, sensitive }] }.
 */
export function describeConfigsResponse(version, resources, answer) {
  const w = new Writer();
  w.int32(0); // throttle_time_ms
  w.array(resources, (x, resource) => {
    const { error, message, entries } = answer(resource);
    x.int16(error)
      .nullableString(message ?? null)
      .int8(resource.type)
      .string(resource.name);
    const wanted =
      resource.configNames && resource.configNames.length > 0 ? entries.filter((e) => resource.configNames.includes(e.name)) : entries;
    x.array(wanted, (y, e) => {
      y.string(e.name).nullableString(e.value).bool(e.readOnly);
      if (version === 0) y.bool(e.source === CONFIG_SOURCE.DEFAULT_CONFIG);
      else y.int8(e.source);
      y.bool(e.sensitive);
      if (version >= 1) y.array([], () => undefined); // synonyms
    });
  });
  return w.toBuffer();
}

export function saslHandshakeResponse(error, mechanisms) {
  return new Writer()
    .int16(error)
    .array(mechanisms, (w, m) => w.string(m))
    .toBuffer();
}

export function saslAuthenticateResponse(version, error, message, token) {
  const w = new Writer().int16(error).nullableString(message).bytes(token);
  if (version >= 1) w.int64(0); // session_lifetime_ms: no re-authentication
  return w.toBuffer();
}

/** A raw SASL token frame (SaslHandshake v0 before 1.0: tokens without a Kafka header). */
export function frameToken(token) {
  const size = Buffer.alloc(4);
  size.writeInt32BE(token.length);
  return Buffer.concat([size, token]);
}
