// Server side of SASL PLAIN and SCRAM-SHA-256/512 (RFC 4616, RFC 5802) for the double.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const ITERATIONS = 4096;

/** One authentication exchange. `step(token)` → { reply?: Buffer, done: boolean, user?: string, error?: string }. */
export function saslServer(mechanism, users) {
  if (mechanism === 'PLAIN') return plain(users);
  const digest = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' }[mechanism];
  return scram(digest, users);
}

function plain(users) {
  return {
    step(token) {
      const [, user, password] = token.toString('utf8').split('\0');
      const expected = users[user];
      if (expected === undefined || expected !== password)
        return { done: true, error: `Authentication failed: Invalid username or password` };
      return { done: true, user, reply: Buffer.alloc(0) };
    },
  };
}

function attributes(message) {
  return Object.fromEntries(message.split(',').map((part) => [part.slice(0, 1), part.slice(2)]));
}

function scram(digest, users) {
  const hmac = (key, text) => createHmac(digest, key).update(text).digest();
  const length = digest === 'sha256' ? 32 : 64;
  let first;
  return {
    step(token) {
      const message = token.toString('utf8');
      if (!first) {
        const bare = message.replace(/^[^,]*,[^,]*,/, ''); // drop the GS2 header
        const { n: user, r: clientNonce } = attributes(bare);
        const password = users[user];
        if (password === undefined || !clientNonce)
          return { done: true, error: 'Authentication failed during authentication due to invalid credentials with SASL mechanism' };
        const salt = randomBytes(16);
        const nonce = clientNonce + randomBytes(12).toString('base64url');
        const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${ITERATIONS}`;
        first = { user, bare, serverFirst, nonce, salted: pbkdf2Sync(password, salt, ITERATIONS, length, digest) };
        return { done: false, reply: Buffer.from(serverFirst) };
      }
      const { c, r, p } = attributes(message);
      const withoutProof = message.slice(0, message.lastIndexOf(',p='));
      const authMessage = `${first.bare},${first.serverFirst},${withoutProof}`;
      const clientKey = hmac(first.salted, 'Client Key');
      const storedKey = createHash(digest).update(clientKey).digest();
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(p ?? '', 'base64');
      if (c === undefined || r !== first.nonce || proof.length !== signature.length)
        return { done: true, error: 'Authentication failed: invalid SCRAM final message' };
      const candidate = Buffer.from(proof.map((byte, i) => byte ^ signature[i]));
      if (!timingSafeEqual(createHash(digest).update(candidate).digest(), storedKey)) {
        return { done: true, error: 'Authentication failed during authentication due to invalid credentials with SASL mechanism' };
      }
      const serverSignature = hmac(hmac(first.salted, 'Server Key'), authMessage);
      return { done: true, user: first.user, reply: Buffer.from(`v=${serverSignature.toString('base64')}`) };
    },
  };
}
