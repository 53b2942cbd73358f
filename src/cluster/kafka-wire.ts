/**
 * Kafka protocol requests made in-process, without a JVM: ApiVersions (key 18, v3), whose
 * SupportedFeatures tag is what one node's running binary supports (a broker's and a
 * controller's listener both answer it), and DescribeQuorum (key 55, v1), which any broker
 * forwards to the active controller: what `kafka-metadata-quorum.sh describe --replication`
 * prints, at a fraction of a tool JVM's start; and Metadata (key 3, v1 or v4) asked of one broker
 * itself, for the live brokers its own cache lists. Plaintext or TLS; SASL is not spoken here (the
 * callers fall back to the release's tools). Wire formats: Kafka's
 * clients/src/main/resources/common/message/{ApiVersions,DescribeQuorum,Metadata}{Request,Response}.json.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { TlsSettings } from '../inventory/model.js';
import type { QuorumReplica } from './kraft-port.js';

export interface WireEndpoint {
  host: string;
  port: number;
  tls?: TlsSettings;
}

export class WireError extends Error {}

const CLIENT_ID = 'kafka-ops';
const API_VERSIONS = 18;
const DESCRIBE_QUORUM = 55;
const METADATA = 3;
const METADATA_TOPIC = '__cluster_metadata';

class Writer {
  private readonly parts: Buffer[] = [];
  int8(v: number) {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  uvarint(v: number) {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** A non-flexible nullable string (the request header's client id). */
  string16(v: string) {
    const s = Buffer.from(v, 'utf8');
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }
  compactString(v: string) {
    const s = Buffer.from(v, 'utf8');
    this.uvarint(s.length + 1);
    this.parts.push(s);
    return this;
  }
  noTags() {
    return this.uvarint(0);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number) {
    if (this.at + n > this.buf.length)
      throw new WireError(`response ended early (byte ${this.at} of ${this.buf.length}, wanted ${n} more)`);
  }
  int16() {
    this.need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32() {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64() {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.at);
    this.at += 8;
    return Number(v);
  }
  uvarint() {
    let value = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.at++] as number;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 28) throw new WireError('malformed varint');
    }
  }
  /** A non-flexible nullable string (int16 length, -1 = null). */
  string16(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    this.need(n);
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  compactString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    this.need(n - 1);
    const s = this.buf.toString('utf8', this.at, this.at + n - 1);
    this.at += n - 1;
    return s;
  }
  /** A compact array: its elements read by `item`; null (length 0) reads as []. */
  compactArray<T>(item: () => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 0; i < n - 1; i++) out.push(item());
    return out;
  }
  /** Tagged fields: `onTag` reads the ones it knows from a sub-reader; the others are skipped. */
  tags(onTag: (tag: number, r: Reader) => void = () => undefined) {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      this.need(size);
      onTag(tag, new Reader(this.buf.subarray(this.at, this.at + size)));
      this.at += size;
    }
  }
}

/** One request on a fresh connection: size-prefixed, answered by one size-prefixed response. */
async function roundTrip(endpoint: WireEndpoint, request: Buffer, timeoutMs: number): Promise<Buffer> {
  const socket: Socket = endpoint.tls
    ? tlsConnect({
        host: endpoint.host,
        port: endpoint.port,
        servername: endpoint.host,
        rejectUnauthorized: endpoint.tls.rejectUnauthorized,
        ...(endpoint.tls.caFile ? { ca: readFileSync(endpoint.tls.caFile) } : {}),
        ...(endpoint.tls.certFile ? { cert: readFileSync(endpoint.tls.certFile) } : {}),
        ...(endpoint.tls.keyFile ? { key: readFileSync(endpoint.tls.keyFile) } : {}),
      })
    : tcpConnect({ host: endpoint.host, port: endpoint.port });
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(
      () => finish(new WireError(`no answer from ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (error?: Error, body?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(body as Buffer);
    };
    socket.on(endpoint.tls ? 'secureConnect' : 'connect', () => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(request.length);
      socket.write(Buffer.concat([size, request]));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const all = Buffer.concat(chunks);
      if (received >= 4 && received >= 4 + all.readInt32BE(0)) finish(undefined, all.subarray(4, 4 + all.readInt32BE(0)));
    });
    socket.on('error', (e) => finish(new WireError(`${endpoint.host}:${endpoint.port}: ${e.message}`)));
    socket.on('close', () => finish(new WireError(`${endpoint.host}:${endpoint.port} closed the connection before answering`)));
  });
}

let nextCorrelation = 1;

/** Request header v2 (flexible requests; ApiVersions v3 is flexible too) or, with `flexible` false, v1. */
function request(apiKey: number, version: number, body: (w: Writer) => void, flexible = true): { correlation: number; bytes: Buffer } {
  const correlation = nextCorrelation++;
  const w = new Writer().int16(apiKey).int16(version).int32(correlation).string16(CLIENT_ID);
  if (flexible) w.noTags();
  body(w);
  return { correlation, bytes: w.bytes() };
}

function checkCorrelation(r: Reader, correlation: number) {
  const got = r.int32();
  if (got !== correlation) throw new WireError(`answer to request ${got}, expected ${correlation}`);
}

export interface FeatureRange {
  min: number;
  max: number;
}

/** ApiVersions v3: the features (by name) the answering node's binary supports, and their level range. */
export async function supportedFeatures(endpoint: WireEndpoint, timeoutMs = 10_000): Promise<Record<string, FeatureRange>> {
  const { correlation, bytes } = request(API_VERSIONS, 3, (w) => w.compactString(CLIENT_ID).compactString('1').noTags());
  const r = new Reader(await roundTrip(endpoint, bytes, timeoutMs));
  // ApiVersions responses always carry header v0 (no tags), so that an old broker's answer can be read.
  checkCorrelation(r, correlation);
  const error = r.int16();
  if (error !== 0) throw new WireError(`ApiVersions answered error code ${error}`);
  r.compactArray(() => {
    r.int16();
    r.int16();
    r.int16();
    r.tags();
  });
  r.int32();
  const features: Record<string, FeatureRange> = {};
  r.tags((tag, t) => {
    if (tag !== 0) return;
    t.compactArray(() => {
      const name = t.compactString() ?? '';
      const min = t.int16();
      const max = t.int16();
      t.tags();
      features[name] = { min, max };
    });
  });
  return features;
}

export interface WireQuorum {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  replicas: QuorumReplica[];
}

/** DescribeQuorum v1 of __cluster_metadata-0, as the replication rows the tool prints (lag = leader's log end - replica's). */
export async function describeQuorum(endpoint: WireEndpoint, timeoutMs = 10_000): Promise<WireQuorum> {
  const { correlation, bytes } = request(DESCRIBE_QUORUM, 1, (w) =>
    w.uvarint(2).compactString(METADATA_TOPIC).uvarint(2).int32(0).noTags().noTags().noTags(),
  );
  const r = new Reader(await roundTrip(endpoint, bytes, timeoutMs));
  checkCorrelation(r, correlation);
  r.tags();
  const error = r.int16();
  if (error !== 0) throw new WireError(`DescribeQuorum answered error code ${error}`);
  type Row = { nodeId: number; logEndOffset: number; lastFetchTimestamp: number; lastCaughtUpTimestamp: number };
  const replica = (): Row => {
    const row = { nodeId: r.int32(), logEndOffset: r.int64(), lastFetchTimestamp: r.int64(), lastCaughtUpTimestamp: r.int64() };
    r.tags();
    return row;
  };
  let found: WireQuorum | undefined;
  r.compactArray(() => {
    r.compactString();
    r.compactArray(() => {
      const index = r.int32();
      const partitionError = r.int16();
      const leaderId = r.int32();
      const leaderEpoch = r.int32();
      const highWatermark = r.int64();
      const voters = r.compactArray(replica);
      const observers = r.compactArray(replica);
      r.tags();
      if (index !== 0) return;
      if (partitionError !== 0) throw new WireError(`DescribeQuorum answered partition error code ${partitionError}`);
      const leaderEnd = voters.find((v) => v.nodeId === leaderId)?.logEndOffset ?? -1;
      const row = (v: Row, status: QuorumReplica['status']): QuorumReplica => ({
        ...v,
        // As the tool prints it: an unknown log end (-1) reads as far behind.
        lag: leaderEnd - v.logEndOffset,
        status,
      });
      found = {
        leaderId,
        leaderEpoch,
        highWatermark,
        replicas: [
          ...voters.map((v) => row(v, v.nodeId === leaderId ? 'Leader' : 'Follower')),
          ...observers.map((v) => row(v, 'Observer')),
        ],
      };
    });
    r.tags();
  });
  r.tags();
  if (!found) throw new WireError(`DescribeQuorum answered without ${METADATA_TOPIC}-0`);
  return found;
}

export interface WireMetadataBrokers {
  /** The live brokers in the answering broker's own metadata cache (what its controller told it last). */
  brokers: number[];
  controller: number;
}

/** ApiVersions v0 (every broker from 0.10.0 on, 4.x included): the highest version of `apiKey` the answering broker supports, -1 if none. */
async function maxVersion(endpoint: WireEndpoint, apiKey: number, timeoutMs: number): Promise<number> {
  const { correlation, bytes } = request(API_VERSIONS, 0, () => undefined, false);
  const r = new Reader(await roundTrip(endpoint, bytes, timeoutMs));
  checkCorrelation(r, correlation);
  const error = r.int16();
  if (error !== 0) throw new WireError(`ApiVersions answered error code ${error}`);
  let max = -1;
  for (let i = r.int32(); i > 0; i--) {
    const key = r.int16();
    r.int16();
    const top = r.int16();
    if (key === apiKey) max = top;
  }
  return max;
}

/**
 * Metadata for no topic: the live brokers and the controller as the answering broker itself knows
 * them. A broker lists itself only once the controller has sent it the cluster's metadata after its
 * registration. v1 where the broker has nothing newer (0.10.x), else v4 (0.11.0 on; 4.0 removed
 * v0-v3, KIP-896), asked for first with ApiVersions v0: no cache, a rolled-back broker answers less.
 */
export async function metadataBrokers(endpoint: WireEndpoint, timeoutMs = 10_000): Promise<WireMetadataBrokers> {
  const top = await maxVersion(endpoint, METADATA, timeoutMs);
  if (top < 1) throw new WireError(`the broker at ${endpoint.host}:${endpoint.port} answers no Metadata v1 or newer`);
  const version = top >= 4 ? 4 : 1;
  const { correlation, bytes } = request(
    METADATA,
    version,
    (w) => {
      w.int32(0); // no topic
      if (version >= 4) w.int8(0); // allow_auto_topic_creation: false
    },
    false,
  );
  const r = new Reader(await roundTrip(endpoint, bytes, timeoutMs));
  checkCorrelation(r, correlation);
  if (version >= 3) r.int32(); // throttle_time_ms
  const brokers: number[] = [];
  for (let i = r.int32(); i > 0; i--) {
    brokers.push(r.int32());
    r.string16(); // host
    r.int32(); // port
    r.string16(); // rack
  }
  if (version >= 2) r.string16(); // cluster_id
  return { brokers, controller: r.int32() };
}
