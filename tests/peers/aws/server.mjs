#!/usr/bin/env node
// Test double of the AWS services (STS, EC2, S3) and of the vendor endpoints
// the connector talks to.  Every request's SigV4 signature is checked by
// rebuilding the request from its SignedHeaders list and signing it again.
//
// usage: node server.mjs [--port N] [--account ID]
//                        [--credentials ACCESS_KEY:SECRET_KEY]... [--tls-dir DIR]
//
// Prints one JSON line (url, ca, control, access_key, secret_key, region) on
// stdout once it listens, then serves until SIGTERM or SIGINT.  The control
// endpoint (/_control, JSON, no authentication, loopback only) sets faults,
// preloads data, moves import and conversion tasks through their states
// (or deletes them, as AWS forgets a task), reads recorded requests and
// state, and resets.
//
// It also plays the management portal's side of the connector's
// authentication proxy: it signs calls to the connector with the
// AMP-connector key the connector registered with (SigV4, service
// "connector"), with AWS's own signer:
//
//   POST /_control/sign         {url, method?, headers?, body? | body_base64?,
//                                key_id?, secret?, region?, service?, date?,
//                                skew_seconds?}
//                               -> {headers} to send (authorization,
//                                  x-amz-date, host, x-portal-request-id
//                                  (a new one unless given), and those
//                                  given)
//   POST /_control/portal_call  the same, plus ca? (PEM file of the
//                                connector's certificate): sends the call
//                                -> {status, headers, body}
//
// key_id defaults to the key of the latest portal registration or
// heartbeat, secret to that key's, region to the region it signed for;
// date is ISO 8601 or YYYYMMDDTHHMMSSZ (default now, plus skew_seconds).
//
// GET /vendor/updates/manifest answers anonymous requests (a signed one is
// still checked): the signed update manifest (docs/manifest.md) built from
// the packages, signed with the test key tests/peers/keys/manifest-test.pem.
// POST /_control {"manifest": {...} | null} shapes it (each call replaces
// the last; null: the plain one): recalled [{version, reason, fixed_in?,
// downgrade_to?}] (recalled versions leave the list), minimum_version,
// serial (default: one above the last, at least the Unix time, on every
// change of packages or manifest), expires (RFC 3339), bad_signature
// (a flipped bit), key "test" or "other" (a key the connector does not
// know), raw (serve exactly this body).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const REGION = 'us-east-1';
const MAX_BODY = 64 * 1024 * 1024;
const MAX_RECORDS = 10000;
const SKEW_LIMIT_MS = 5 * 60 * 1000;
const ROLE_MAX_SESSION = 3600; // a role's MaxSessionDuration unless set
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const SERVICES = ['sts', 'ec2', 's3', 'connector'];
const EMPTY_SHA256 = crypto.createHash('sha256').update('').digest('hex');

// ---------------------------------------------------------------- options

function usage(msg) {
	process.stderr.write(`${msg}\nusage: node server.mjs [--port N] [--account ID] ` +
		'[--credentials ACCESS_KEY:SECRET_KEY]... [--tls-dir DIR]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const o = { port: 0, account: '123456789012', credentials: [], tlsDir: null };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length) usage(`${a} needs a value`);
			return argv[++i];
		};
		if (a === '--port') {
			o.port = Number(val());
			if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) usage('bad --port');
		} else if (a === '--account') {
			o.account = val();
			if (!/^\d{12}$/.test(o.account)) usage('--account must be 12 digits');
		} else if (a === '--credentials') {
			const v = val();
			const c = v.indexOf(':');
			if (c < 16 || c === v.length - 1) usage('--credentials needs ACCESS_KEY:SECRET_KEY (key of 16+ characters)');
			o.credentials.push({ access_key: v.slice(0, c), secret_key: v.slice(c + 1) });
		} else if (a === '--tls-dir') {
			o.tlsDir = val();
		} else if (a === '-h' || a === '--help') {
			usage('');
		} else {
			usage(`unknown argument ${a}`);
		}
	}
	if (o.credentials.length === 0) {
		o.credentials.push({ access_key: 'AKIACONNECTORTEST001',
			secret_key: 'ConnectorTestSecretKey000000000000000001' });
	}
	return o;
}

const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------- TLS

// makeTls creates a test CA and a leaf certificate for 127.0.0.1 and
// localhost signed by it, in dir.
function makeTls(dir) {
	const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
	const serial = () => '0x' + crypto.randomBytes(16).toString('hex').replace(/^./, '1');
	fs.writeFileSync(path.join(dir, 'ca.cnf'), [
		'[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = Connector Test CA',
		'[v3_ca]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign',
		'subjectKeyIdentifier = hash', '',
	].join('\n'));
	fs.writeFileSync(path.join(dir, 'leaf.cnf'), [
		'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment',
		'extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1,DNS:localhost',
		'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid', '',
	].join('\n'));
	run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
	run(['req', '-x509', '-new', '-key', 'ca.key', '-config', 'ca.cnf', '-extensions', 'v3_ca',
		'-days', '30', '-sha256', '-set_serial', serial(), '-out', 'ca.pem']);
	run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key']);
	run(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=127.0.0.1', '-out', 'leaf.csr']);
	run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial(),
		'-days', '30', '-sha256', '-extfile', 'leaf.cnf', '-out', 'leaf.pem']);
	return {
		ca: path.join(dir, 'ca.pem'),
		key: fs.readFileSync(path.join(dir, 'leaf.key')),
		cert: fs.readFileSync(path.join(dir, 'leaf.pem')),
	};
}

// ---------------------------------------------------------------- helpers

function esc(s) {
	return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

// t renders <tag>value</tag> (nothing when value is undefined or null);
// n renders <tag> around already-rendered children.
function t(tag, value) {
	return value === undefined || value === null ? '' : `<${tag}>${esc(value)}</${tag}>`;
}
function n(tag, ...children) {
	return `<${tag}>${children.join('')}</${tag}>`;
}
function items(tag, list, render) {
	return n(tag, ...list.map((x) => n('item', render(x))));
}

function isoSeconds(ms) {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hex(bytes, len) {
	return crypto.randomBytes(bytes).toString('hex').slice(0, len);
}

function randomKeyId(prefix) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let s = prefix;
	for (const b of crypto.randomBytes(16)) s += abc[b % abc.length];
	return s;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}
const fail = (status, code, message) => { throw new ApiError(status, code, message); };

// Decodes %XX escapes only: '+' stays '+' (as SigV4 canonicalization wants).
function pctDecode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return null;
	}
}

// parseRawQuery gives the query as the signer wants it: decoded keys mapped
// to a decoded value or a list of values.
function parseRawQuery(raw) {
	const q = {};
	if (!raw) return q;
	for (const part of raw.split('&')) {
		if (part === '') continue;
		const eq = part.indexOf('=');
		const k = pctDecode(eq < 0 ? part : part.slice(0, eq));
		const v = pctDecode(eq < 0 ? '' : part.slice(eq + 1));
		if (k === null || v === null) fail(400, 'MalformedQueryString', 'The query string is not properly encoded.');
		if (k in q) q[k] = [].concat(q[k], v);
		else q[k] = v;
	}
	return q;
}

// ---------------------------------------------------------------- state

const REGIONS = [
	'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-central-1', 'eu-west-1',
	'eu-west-2', 'eu-west-3', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2',
	'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1',
];
const OPT_IN_REGIONS = ['af-south-1', 'ap-east-1', 'eu-south-1', 'me-south-1'];

let state;
let seq = 0;

// The update manifest's keys: the test key the connector accepts in test
// mode, and another it does not know.
const MANIFEST_KEYS = {
	test: { id: 'test-1', key: crypto.createPrivateKey(fs.readFileSync(path.join(
		path.dirname(fileURLToPath(import.meta.url)), '..', 'keys', 'manifest-test.pem'))) },
	other: { id: 'other-1', key: crypto.generateKeyPairSync('ed25519').privateKey },
};
const MANIFEST_FIELDS = ['recalled', 'minimum_version', 'serial', 'expires', 'bad_signature', 'key', 'raw'];
// Serials only grow, across resets too: a publication is never older.
let lastSerial = 0;
function nextSerial() {
	lastSerial = Math.max(lastSerial + 1, Math.floor(Date.now() / 1000));
	return lastSerial;
}

function defaultPackages() {
	return [{ name: 'connector-update-99.0.0.tar', version: '99.0.0', notes: 'Test update.',
		released: '2030-01-01T00:00:00Z', content: Buffer.from('connector test update package 99.0.0\n') }];
}

function freshState() {
	const keys = new Map();
	for (const c of opts.credentials) {
		keys.set(c.access_key, { secret: c.secret_key, kind: 'user',
			arn: `arn:aws:iam::${opts.account}:user/connector`, userId: randomKeyId('AIDA') });
	}
	const s = {
		keys,                 // access key -> {secret, kind, arn, userId, token?, expires?}
		skew: 0,              // seconds the server clock is ahead of the real one
		revoked: new Set(),
		faults: {},           // service or '*' -> {latency_ms, hang, skew_seconds, revoked_keys, error}
		requests: [],
		importTasks: [],      // in creation order
		importById: new Map(),
		importByToken: new Map(),
		importLimit: 5,
		pageSize: null,       // EC2 describe calls without MaxResults: at most this many a page
		conversionTasks: [],
		instances: [],
		buckets: new Set(['connector-imports']),
		objects: new Map(),   // "bucket/key" -> {size, etag, sha256, content_type, metadata}
		denyRoles: new Set(),
		roleMaxSession: new Map(), // role ARN -> its MaxSessionDuration (others: 3600)
		packages: defaultPackages(),
		manifest: {},         // the control's "manifest" fields
		manifestSerial: nextSerial(),
		cases: [],
		metrics: [],
		registrations: new Map(),
		heartbeats: [],
		deregistrations: [],
		portalKey: null,      // {access_key, region} the connector signs the portal's calls with
		assumeRoleCalls: [],  // AssumeRole calls accepted: role, session, duration, policy
	};
	for (let i = 0; i < 2; i++) s.instances.push(makeInstance(i));
	s.conversionTasks.push(makeConversionTask(0));
	return s;
}

function makeInstance(i) {
	const id = 'i-' + (0x100000000 + i).toString(16).padStart(17, '0');
	return {
		reservationId: 'r-' + (0x200000000 + i).toString(16).padStart(17, '0'),
		instanceId: id,
		imageId: 'ami-' + (0x300000000 + i).toString(16).padStart(17, '0'),
		state: i % 5 === 4 ? { code: 80, name: 'stopped' } : { code: 16, name: 'running' },
		instanceType: 't3.medium',
		launchTime: isoSeconds(Date.UTC(2030, 0, 1) + i * 60000),
		zone: 'us-east-1a',
		privateIp: `10.0.${Math.floor(i / 250) % 250}.${(i % 250) + 4}`,
		name: `migrated-vm-${i + 1}`,
	};
}

// An instance import's task (ImportInstance): its instance exists from the
// start, stopped, as AWS leaves an imported instance.
function makeInstanceImport(fields) {
	const i = state.instances.length;
	const inst = makeInstance(i);
	inst.state = { code: 80, name: 'stopped' };
	inst.name = fields.description || inst.name;
	state.instances.push(inst);
	const x = {
		id: fields.id || 'import-i-' + hex(4, 8).replace(/[0-9]/g, (d) => 'abcdefghij'[d]),
		state: 'active', statusMessage: 'Pending', description: fields.description,
		expirationTime: isoSeconds(Date.UTC(2030, 0, 8)), zone: 'us-east-1a',
		bytesConverted: 0, imageSize: 8589934592,
		volumeId: 'vol-' + (0x700000000 + i).toString(16).padStart(17, '0'),
		instanceId: inst.instanceId,
	};
	state.conversionTasks.push(x);
	return x;
}

function makeConversionTask(i) {
	const states = ['completed', 'active', 'cancelled', 'cancelling'];
	return {
		id: 'import-vol-' + (0x10000000 + i).toString(36).padStart(8, '0'),
		state: states[i % states.length],
		statusMessage: i % states.length === 1 ? 'Pending' : '',
		expirationTime: isoSeconds(Date.UTC(2030, 0, 8)),
		zone: 'us-east-1a',
		bytesConverted: 1048576 * (i + 1),
		imageSize: 8589934592,
		volumeId: 'vol-' + (0x400000000 + i).toString(16).padStart(17, '0'),
	};
}

function makeImportTask(fields) {
	const t = {
		importTaskId: 'import-ami-' + hex(9, 17),
		description: '', architecture: 'x86_64', platform: 'Linux', licenseType: 'BYOL',
		status: 'active', statusMessage: 'pending', progress: '2', imageId: undefined,
		disks: [], tags: [], created: Date.now(), ...fields,
	};
	state.importTasks.push(t);
	state.importById.set(t.importTaskId, t);
	return t;
}

// Tasks still running (status active, progress 2), ids in creation order;
// returns their ids.
function preloadActiveImportTasks(count) {
	const ids = [];
	for (let i = 0; i < count; i++) {
		const x = makeImportTask({
			importTaskId: 'import-ami-' + (0x500000000 + state.importTasks.length).toString(16).padStart(17, '0'),
			description: `preloaded active task ${state.importTasks.length + 1}`,
			status: 'active', statusMessage: 'pending', progress: '2',
			disks: [{ format: 'VMDK', size: 8589934592, bucket: 'connector-imports', key: `vm-${i}.vmdk`,
				status: 'active' }],
		});
		ids.push(x.importTaskId);
	}
	return ids;
}

function preloadImportTasks(count) {
	for (let i = 0; i < count; i++) {
		const deleted = i % 10 === 9;
		makeImportTask({
			importTaskId: 'import-ami-' + (0x500000000 + state.importTasks.length).toString(16).padStart(17, '0'),
			description: `preloaded task ${state.importTasks.length + 1}`,
			status: deleted ? 'deleted' : 'completed',
			statusMessage: deleted ? 'ClientError: Disk validation failed [Unsupported VMDK File Format]' : undefined,
			progress: undefined,
			imageId: deleted ? undefined : 'ami-' + (0x600000000 + state.importTasks.length).toString(16).padStart(17, '0'),
			disks: [{ format: 'VMDK', size: 8589934592, bucket: 'connector-imports', key: `vm-${i}.vmdk`,
				status: deleted ? 'deleted' : 'completed' }],
		});
	}
}

// serverNow: the double's clock in ms, with the global and per-service skew.
function serverNow(service) {
	return Date.now() + (state.skew + (faultFor(service).skew_seconds || 0)) * 1000;
}

function faultFor(service) {
	return { ...(state.faults['*'] || {}), ...(state.faults[service] || {}) };
}

// ---------------------------------------------------------------- errors

function renderError(service, err, requestId, resource) {
	if (service === 'sts') {
		return { type: 'text/xml', body: `<ErrorResponse xmlns="${STS_NS}">` +
			n('Error', t('Type', err.status >= 500 ? 'Receiver' : 'Sender'), t('Code', err.code), t('Message', err.message)) +
			t('RequestId', requestId) + '</ErrorResponse>\n' };
	}
	if (service === 'ec2') {
		return { type: 'text/xml;charset=UTF-8', body: '<?xml version="1.0" encoding="UTF-8"?>\n' +
			n('Response', n('Errors', n('Error', t('Code', err.code), t('Message', err.message))), t('RequestID', requestId)) + '\n' };
	}
	if (service === 's3') {
		return { type: 'application/xml', body: '<?xml version="1.0" encoding="UTF-8"?>\n' +
			n('Error', t('Code', err.code), t('Message', err.message), t('Resource', resource), t('RequestId', requestId)) + '\n' };
	}
	return { type: 'application/json', body: JSON.stringify({ error: { code: err.code, message: err.message }, request_id: requestId }) + '\n' };
}

// Per-service codes and statuses of the authentication failures.
function authError(service, what, message) {
	const table = {
		missing: { sts: [403, 'MissingAuthenticationToken'], ec2: [401, 'AuthFailure'], s3: [403, 'AccessDenied'], connector: [401, 'MissingAuthenticationToken'] },
		unknownKey: { sts: [403, 'InvalidClientTokenId'], ec2: [401, 'AuthFailure'], s3: [403, 'InvalidAccessKeyId'], connector: [403, 'InvalidClientTokenId'] },
		expired: { sts: [403, 'RequestExpired'], ec2: [400, 'RequestExpired'], s3: [403, 'RequestTimeTooSkewed'], connector: [403, 'RequestExpired'] },
	}[what][service];
	return new ApiError(table[0], table[1], message);
}

// ---------------------------------------------------------------- SigV4

const AUTH_RE = /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})\s*$/;

// guessService decides where an unsigned or badly signed request was going,
// so its error has the right shape.
function guessService(req, url, body) {
	if (url.pathname.startsWith('/vendor/')) return 'connector';
	const form = (req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')
		? new URLSearchParams(body.toString('latin1')) : new URLSearchParams();
	const version = url.searchParams.get('Version') || form.get('Version');
	const action = url.searchParams.get('Action') || form.get('Action');
	if (action) return version === '2011-06-15' ? 'sts' : 'ec2';
	return 's3';
}

function parseAuth(req) {
	const h = req.headers.authorization;
	if (h === undefined) return null;
	const m = AUTH_RE.exec(h);
	if (!m) return { malformed: 'Authorization header requires Credential, SignedHeaders and Signature parameters (AWS4-HMAC-SHA256).' };
	const scope = m[1].split('/');
	if (scope.length !== 5 || scope[4] !== 'aws4_request' || !/^\d{8}$/.test(scope[1])) {
		return { malformed: `Credential should be scoped to a valid region, not '${scope[2] || ''}'.` };
	}
	return { accessKey: scope[0], date: scope[1], region: scope[2], service: scope[3],
		signedHeaders: m[2].split(';'), signature: m[3] };
}

function parseAmzDate(s) {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
	if (!m) return null;
	return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

// verify checks the signature of req; returns the identity of the signer.
async function verify(req, url, rawQuery, body, auth, service) {
	if (!auth) throw authError(service, 'missing', service === 's3'
		? 'Access Denied' : 'Request is missing Authentication Token');
	if (auth.malformed) fail(400, 'IncompleteSignature', auth.malformed);
	if (!SERVICES.includes(auth.service)) {
		fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'.`);
	}
	const signed = auth.signedHeaders;
	if (!signed.includes('host')) fail(400, 'IncompleteSignature', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
	const amzDate = req.headers['x-amz-date'];
	const date = parseAmzDate(amzDate);
	if (!date) fail(400, 'IncompleteSignature', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
	if (!signed.includes('x-amz-date')) fail(400, 'IncompleteSignature', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
	if (amzDate.slice(0, 8) !== auth.date) {
		fail(403, 'SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}'.`);
	}

	const fault = faultFor(service);
	const revoked = state.revoked.has(auth.accessKey) || (fault.revoked_keys || []).includes(auth.accessKey);
	const id = state.keys.get(auth.accessKey);
	const unknownMsg = service === 'ec2' ? 'AWS was not able to validate the provided access credentials'
		: service === 's3' ? 'The AWS Access Key Id you provided does not exist in our records.'
			: 'The security token included in the request is invalid.';
	if (!id || revoked) throw authError(service, 'unknownKey', unknownMsg);

	const now = serverNow(service);
	if (Math.abs(now - date.getTime()) > SKEW_LIMIT_MS) {
		const msg = service === 's3'
			? 'The difference between the request time and the current time is too large.'
			: `Request has expired. Request time ${amzDate} is more than 5 minutes away from the server time ${isoSeconds(now).replace(/[-:]/g, '')}.`;
		throw authError(service, 'expired', msg);
	}

	if (id.token !== undefined) {
		const tok = req.headers['x-amz-security-token'];
		if (tok !== id.token) throw authError(service, 'unknownKey', unknownMsg);
		if (now > id.expires) fail(403, 'ExpiredToken', 'The security token included in the request is expired');
	}

	// Rebuild the request from the signed headers only.
	const headers = {};
	for (const name of signed) {
		const v = req.headersDistinct[name];
		if (v !== undefined) headers[name] = v.join(',');
	}
	const request = {
		method: req.method, protocol: 'https:', hostname: (req.headers.host || '').replace(/:\d+$/, ''),
		port: url.port ? Number(url.port) : undefined, path: rawPath(req.url) || '/',
		query: rawQuery, headers, body: body.length ? body : undefined,
	};
	const signer = new SignatureV4({
		service: auth.service, region: auth.region, sha256: Sha256, applyChecksum: false,
		uriEscapePath: auth.service !== 's3',
		credentials: { accessKeyId: auth.accessKey, secretAccessKey: id.secret,
			sessionToken: signed.includes('x-amz-security-token') ? id.token : undefined },
	});
	const out = await signer.sign(request, { signingDate: date, signableHeaders: new Set(signed) });
	const m = AUTH_RE.exec(out.headers.authorization);
	const ok = m && m[2] === signed.join(';') &&
		crypto.timingSafeEqual(Buffer.from(m[3]), Buffer.from(auth.signature));
	if (!ok) {
		fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
	}
	if (auth.service !== service) {
		fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'.`);
	}
	return { accessKey: auth.accessKey, ...id };
}

function rawPath(u) {
	const q = u.indexOf('?');
	return q < 0 ? u : u.slice(0, q);
}

// ---------------------------------------------------------------- STS

function stsResponse(action, result, requestId) {
	return { status: 200, type: 'text/xml', body: `<${action}Response xmlns="${STS_NS}">` +
		n(`${action}Result`, result) + n('ResponseMetadata', t('RequestId', requestId)) + `</${action}Response>\n` };
}

function intParam(p, name, min, max, dflt, code = 'ValidationError') {
	const v = p.get(name);
	if (v === null) return dflt;
	if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
		fail(400, code, `Value '${v}' at '${name}' failed to satisfy constraint: Member must be between ${min} and ${max}`);
	}
	return Number(v);
}

function issueTemporary(kind, arn, userId, seconds, service) {
	const accessKey = randomKeyId('ASIA');
	const cred = { secret: crypto.randomBytes(30).toString('base64'), kind, arn, userId,
		token: crypto.randomBytes(96).toString('base64'), expires: serverNow(service) + seconds * 1000 };
	state.keys.set(accessKey, cred);
	return n('Credentials', t('AccessKeyId', accessKey), t('SecretAccessKey', cred.secret),
		t('SessionToken', cred.token), t('Expiration', isoSeconds(cred.expires)));
}

const NAME_RE = /^[\w+=,.@-]+$/;

function sts(p, who, requestId) {
	const action = p.get('Action');
	if (p.get('Version') !== '2011-06-15') fail(400, 'InvalidAction', `Could not find operation ${action} for version ${p.get('Version')}`);
	switch (action) {
	case 'GetCallerIdentity':
		return stsResponse(action, t('Arn', who.arn) + t('UserId', who.userId) + t('Account', opts.account), requestId);
	case 'GetFederationToken': {
		if (who.kind !== 'user') fail(403, 'AccessDenied', 'Cannot call GetFederationToken with session credentials');
		const name = p.get('Name');
		if (name === null) fail(400, 'MissingParameter', 'The request must contain the parameter Name');
		if (name.length < 2 || name.length > 32 || !NAME_RE.test(name)) {
			fail(400, 'ValidationError', `Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
		}
		const policy = p.get('Policy');
		if (policy !== null && (policy.length < 1 || policy.length > 2048)) fail(400, 'ValidationError', 'Policy is not between 1 and 2048 characters');
		const seconds = intParam(p, 'DurationSeconds', 900, 129600, 43200);
		const arn = `arn:aws:sts::${opts.account}:federated-user/${name}`;
		const fid = `${opts.account}:${name}`;
		return stsResponse(action, issueTemporary('federated-user', arn, fid, seconds, 'sts') +
			n('FederatedUser', t('FederatedUserId', fid), t('Arn', arn)) +
			t('PackedPolicySize', policy === null ? 0 : Math.min(100, Math.ceil(policy.length / 20))), requestId);
	}
	case 'AssumeRole': {
		const roleArn = p.get('RoleArn');
		const session = p.get('RoleSessionName');
		if (roleArn === null) fail(400, 'MissingParameter', 'The request must contain the parameter RoleArn');
		if (session === null) fail(400, 'MissingParameter', 'The request must contain the parameter RoleSessionName');
		const m = /^arn:aws:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/.exec(roleArn);
		if (!m) fail(400, 'ValidationError', `${roleArn} is invalid`);
		if (session.length < 2 || session.length > 64 || !NAME_RE.test(session)) {
			fail(400, 'ValidationError', `Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
		}
		const ext = p.get('ExternalId');
		if (ext !== null && (ext.length < 2 || ext.length > 1224)) fail(400, 'ValidationError', 'ExternalId is not between 2 and 1224 characters');
		const seconds = intParam(p, 'DurationSeconds', 900, 43200, 3600);
		const policy = p.get('Policy');
		if (policy !== null) {
			if (policy.length < 1 || policy.length > 2048) {
				fail(400, 'ValidationError', "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
			}
			try {
				const doc = JSON.parse(policy);
				if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
			} catch {
				fail(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
			}
		}
		if (state.denyRoles.has(roleArn)) {
			fail(403, 'AccessDenied', `User: ${who.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
		}
		if (seconds > (state.roleMaxSession.get(roleArn) ?? ROLE_MAX_SESSION)) {
			fail(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
		}
		const arn = `arn:aws:sts::${m[1]}:assumed-role/${m[3]}/${session}`;
		const rid = `AROA${crypto.createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}:${session}`;
		state.assumeRoleCalls.push({ time: isoSeconds(Date.now()), caller: who.accessKey, role_arn: roleArn,
			session_name: session, duration_seconds: seconds, policy });
		if (state.assumeRoleCalls.length > MAX_RECORDS) state.assumeRoleCalls.shift();
		return stsResponse(action, issueTemporary('assumed-role', arn, rid, seconds, 'sts') +
			n('AssumedRoleUser', t('AssumedRoleId', rid), t('Arn', arn)), requestId);
	}
	default:
		return fail(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
	}
}

// ---------------------------------------------------------------- EC2

function ec2Response(action, requestId, ...children) {
	return { status: 200, type: 'text/xml;charset=UTF-8', body: '<?xml version="1.0" encoding="UTF-8"?>\n' +
		`<${action}Response xmlns="${EC2_NS}">` + t('requestId', requestId) + children.join('') + `</${action}Response>\n` };
}

// list reads Prefix.1, Prefix.2, ... (stops at the first gap).
function list(p, prefix) {
	const out = [];
	for (let i = 1; p.has(`${prefix}.${i}`); i++) out.push(p.get(`${prefix}.${i}`));
	return out;
}

// filters reads Filter.N.Name / Filter.N.Value.M (and the Filters.N spelling).
function filters(p) {
	const out = [];
	for (const prefix of ['Filter', 'Filters']) {
		for (let i = 1; p.has(`${prefix}.${i}.Name`); i++) {
			out.push({ name: p.get(`${prefix}.${i}.Name`), values: list(p, `${prefix}.${i}.Value`) });
		}
	}
	return out;
}

function pageToken(kind, offset) {
	return Buffer.from(JSON.stringify({ k: kind, o: offset })).toString('base64');
}

function page(p, kind, all, min, max) {
	const maxResults = p.get('MaxResults') ?? p.get('maxResults');
	const token = p.get('NextToken') ?? p.get('nextToken');
	let limit = state.pageSize === null ? all.length : state.pageSize;
	if (maxResults !== null) {
		if (!/^\d+$/.test(maxResults) || Number(maxResults) < min || Number(maxResults) > max) {
			fail(400, 'InvalidParameterValue', `Value (${maxResults}) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
		}
		limit = Number(maxResults);
	}
	let offset = 0;
	if (token !== null) {
		let d;
		try {
			d = JSON.parse(Buffer.from(token, 'base64').toString());
		} catch {
			d = null;
		}
		if (!d || d.k !== kind || !Number.isInteger(d.o) || d.o < 0 || d.o > all.length) {
			fail(400, 'InvalidParameterValue', `Invalid value '${token}' for nextToken`);
		}
		offset = d.o;
	}
	const slice = all.slice(offset, offset + limit);
	const next = offset + limit < all.length ? pageToken(kind, offset + limit) : undefined;
	return { slice, next };
}

function renderTags(tags) {
	return items('tagSet', tags, (x) => t('key', x.key) + t('value', x.value));
}

function renderImportTask(x) {
	return t('architecture', x.architecture) + t('description', x.description) + t('imageId', x.imageId) +
		t('importTaskId', x.importTaskId) + t('licenseType', x.licenseType) + t('platform', x.platform) +
		t('progress', x.progress) +
		items('snapshotDetailSet', x.disks, (d) => t('diskImageSize', d.size) + t('format', d.format) +
			t('status', d.status) + t('url', d.url) +
			(d.bucket !== undefined ? n('userBucket', t('s3Bucket', d.bucket), t('s3Key', d.key)) : '')) +
		t('status', x.status) + t('statusMessage', x.statusMessage) + renderTags(x.tags);
}

function describeRegions(p, requestId) {
	const all = p.get('AllRegions') === 'true';
	let regions = REGIONS.map((r) => ({ name: r, optIn: 'opt-in-not-required' }));
	if (all) regions = regions.concat(OPT_IN_REGIONS.map((r) => ({ name: r, optIn: 'not-opted-in' })));
	const names = list(p, 'RegionName');
	if (names.length) {
		const known = new Set(REGIONS.concat(OPT_IN_REGIONS));
		const bad = names.filter((x) => !known.has(x));
		if (bad.length) fail(400, 'InvalidParameterValue', `Invalid region names: ${bad.join(', ')}`);
		regions = REGIONS.concat(OPT_IN_REGIONS).filter((r) => names.includes(r))
			.map((r) => ({ name: r, optIn: REGIONS.includes(r) ? 'opt-in-not-required' : 'not-opted-in' }));
	}
	for (const f of filters(p)) {
		if (f.name === 'region-name') regions = regions.filter((r) => f.values.includes(r.name));
		else if (f.name === 'opt-in-status') regions = regions.filter((r) => f.values.includes(r.optIn));
		else if (f.name === 'endpoint') regions = regions.filter((r) => f.values.includes(`ec2.${r.name}.amazonaws.com`));
		else fail(400, 'InvalidParameterValue', `The filter '${f.name}' is invalid`);
	}
	return ec2Response('DescribeRegions', requestId, items('regionInfo', regions, (r) =>
		t('regionName', r.name) + t('regionEndpoint', `ec2.${r.name}.amazonaws.com`) + t('optInStatus', r.optIn)));
}

function describeImportImageTasks(p, requestId) {
	let tasks = state.importTasks;
	const ids = list(p, 'ImportTaskId');
	if (ids.length) {
		for (const id of ids) {
			if (!/^import-ami-[0-9a-f]{8,17}$/.test(id)) fail(400, 'InvalidConversionTaskId.Malformed', `The conversion task ID '${id}' is malformed`);
			if (!state.importById.has(id)) fail(400, 'InvalidConversionTaskId', `The conversion task ID '${id}' does not exist`);
		}
		tasks = ids.map((id) => state.importById.get(id));
	}
	for (const f of filters(p)) {
		if (f.name !== 'task-state') fail(400, 'InvalidParameterValue', `The filter '${f.name}' is invalid`);
		tasks = tasks.filter((x) => f.values.includes(x.status));
	}
	const { slice, next } = page(p, 'import-image', tasks, 5, 500);
	return ec2Response('DescribeImportImageTasks', requestId,
		items('importImageTaskSet', slice, renderImportTask), t('nextToken', next));
}

function describeConversionTasks(p, requestId) {
	let tasks = state.conversionTasks;
	const ids = list(p, 'ConversionTaskId');
	if (ids.length) {
		const byId = new Map(tasks.map((x) => [x.id, x]));
		for (const id of ids) if (!byId.has(id)) fail(400, 'InvalidConversionTaskId', `The conversion task ID '${id}' does not exist`);
		tasks = ids.map((id) => byId.get(id));
	}
	// The API itself is not paginated; MaxResults/NextToken are honoured
	// when given (an extension of this double), otherwise all tasks come back.
	const { slice, next } = page(p, 'conversion', tasks, 5, 500);
	const volume = (x) => [t('availabilityZone', x.zone), t('bytesConverted', x.bytesConverted),
		n('image', t('format', 'VMDK'), t('size', x.imageSize),
			t('importManifestUrl', `https://connector-imports.s3.amazonaws.com/${x.id}/manifest.xml`)),
		n('volume', t('id', x.volumeId), t('size', 8))];
	return ec2Response('DescribeConversionTasks', requestId, items('conversionTasks', slice, (x) =>
		t('conversionTaskId', x.id) + t('expirationTime', x.expirationTime) +
		(x.instanceId === undefined ? n('importVolume', ...volume(x))
			: n('importInstance', t('description', x.description), t('instanceId', x.instanceId),
				t('platform', 'Linux'), n('volumes', n('item', ...volume(x), t('status', x.state))))) +
		t('state', x.state) + t('statusMessage', x.statusMessage || undefined) + renderTags([])), t('nextToken', next));
}

function describeInstances(p, requestId) {
	let list_ = state.instances;
	const ids = list(p, 'InstanceId');
	if (ids.length && (p.has('MaxResults') || p.has('maxResults'))) {
		fail(400, 'InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
	}
	if (ids.length) {
		const byId = new Map(list_.map((x) => [x.instanceId, x]));
		for (const id of ids) {
			if (!/^i-[0-9a-f]{8,17}$/.test(id)) fail(400, 'InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
			if (!byId.has(id)) fail(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
		}
		list_ = ids.map((id) => byId.get(id));
	}
	for (const f of filters(p)) {
		if (f.name === 'instance-state-name') list_ = list_.filter((x) => f.values.includes(x.state.name));
		else if (f.name === 'instance-id') list_ = list_.filter((x) => f.values.includes(x.instanceId));
		else if (f.name === 'image-id') list_ = list_.filter((x) => f.values.includes(x.imageId));
		else fail(400, 'InvalidParameterValue', `The filter '${f.name}' is invalid`);
	}
	const { slice, next } = page(p, 'instances', list_, 5, 1000);
	return ec2Response('DescribeInstances', requestId, items('reservationSet', slice, (x) =>
		t('reservationId', x.reservationId) + t('ownerId', opts.account) + n('groupSet') +
		items('instancesSet', [x], (i) =>
			t('instanceId', i.instanceId) + t('imageId', i.imageId) +
			n('instanceState', t('code', i.state.code), t('name', i.state.name)) +
			t('privateDnsName', `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`) + t('dnsName', '') +
			t('amiLaunchIndex', 0) + t('instanceType', i.instanceType) + t('launchTime', i.launchTime) +
			n('placement', t('availabilityZone', i.zone), t('tenancy', 'default')) +
			n('monitoring', t('state', 'disabled')) + t('privateIpAddress', i.privateIp) +
			t('architecture', 'x86_64') + t('rootDeviceType', 'ebs') + t('rootDeviceName', '/dev/sda1') +
			t('virtualizationType', 'hvm') + t('hypervisor', 'xen') +
			renderTags([{ key: 'Name', value: i.name }]))), t('nextToken', next));
}

const DISK_FORMATS = ['OVA', 'VHD', 'VHDX', 'VMDK', 'RAW'];

function importImage(p, requestId) {
	const token = p.get('ClientToken');
	if (token !== null && state.importByToken.has(token)) {
		const x = state.importByToken.get(token);
		return ec2Response('ImportImage', requestId, renderImportTask(x));
	}
	const disks = [];
	for (let i = 1; ; i++) {
		const pre = `DiskContainer.${i}`;
		const keys = ['Format', 'Url', 'UserBucket.S3Bucket', 'UserBucket.S3Key', 'Description', 'DeviceName', 'SnapshotId'];
		if (!keys.some((k) => p.has(`${pre}.${k}`))) break;
		const format = (p.get(`${pre}.Format`) || '').toUpperCase();
		const url = p.get(`${pre}.Url`);
		const bucket = p.get(`${pre}.UserBucket.S3Bucket`);
		const key = p.get(`${pre}.UserBucket.S3Key`);
		if (!DISK_FORMATS.includes(format)) fail(400, 'InvalidParameter', `Invalid disk format '${p.get(`${pre}.Format`) || ''}'`);
		if (url === null && (bucket === null || key === null)) {
			fail(400, 'MissingParameter', 'A disk container needs either a Url or a UserBucket with S3Bucket and S3Key');
		}
		disks.push({ format, url: url ?? undefined, bucket: bucket ?? undefined, key: key ?? undefined,
			size: bucket !== null && state.objects.has(`${bucket}/${key}`) ? state.objects.get(`${bucket}/${key}`).size : 0,
			status: 'active', uploaded: bucket !== null ? state.objects.has(`${bucket}/${key}`) : null });
	}
	if (disks.length === 0) fail(400, 'MissingParameter', 'The request must contain the parameter DiskContainer');
	const active = state.importTasks.filter((x) => x.status === 'active').length;
	if (active >= state.importLimit) {
		fail(400, 'ResourceCountLimitExceeded', `You have reached the maximum number of active import image tasks (${state.importLimit}) in this region.`);
	}
	const tags = [];
	for (let i = 1; p.has(`TagSpecification.${i}.ResourceType`); i++) {
		for (let j = 1; p.has(`TagSpecification.${i}.Tag.${j}.Key`); j++) {
			tags.push({ key: p.get(`TagSpecification.${i}.Tag.${j}.Key`), value: p.get(`TagSpecification.${i}.Tag.${j}.Value`) ?? '' });
		}
	}
	const x = makeImportTask({
		description: p.get('Description') ?? undefined,
		architecture: p.get('Architecture') ?? 'x86_64',
		platform: p.get('Platform') ?? 'Linux',
		licenseType: p.get('LicenseType') ?? 'BYOL',
		roleName: p.get('RoleName') ?? 'vmimport',
		disks, tags,
	});
	if (token !== null) state.importByToken.set(token, x);
	return ec2Response('ImportImage', requestId, renderImportTask(x));
}

function ec2(p, who, requestId) {
	const action = p.get('Action');
	if (p.get('Version') === null) fail(400, 'MissingParameter', 'The request must contain the parameter Version');
	switch (action) {
	case 'DescribeRegions': return describeRegions(p, requestId);
	case 'DescribeImportImageTasks': return describeImportImageTasks(p, requestId);
	case 'DescribeConversionTasks': return describeConversionTasks(p, requestId);
	case 'DescribeInstances': return describeInstances(p, requestId);
	case 'ImportImage': return importImage(p, requestId);
	default: return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
	}
}

// ---------------------------------------------------------------- S3

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function s3(req, url, body, requestId) {
	const parts = rawPath(req.url).split('/');
	const bucket = pctDecode(parts[1] || '');
	const key = pctDecode(parts.slice(2).join('/'));
	if (req.method !== 'PUT' || !bucket || !key || url.search !== '') {
		fail(501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented.');
	}
	if (!BUCKET_RE.test(bucket)) fail(400, 'InvalidBucketName', 'The specified bucket is not valid.');
	if (!state.buckets.has(bucket)) fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
	const sha = req.headers['x-amz-content-sha256'];
	if (sha === undefined) fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
	const actual = crypto.createHash('sha256').update(body).digest('hex');
	if (sha === 'UNSIGNED-PAYLOAD') {
		// accepted as is
	} else if (/^STREAMING-/.test(sha)) {
		fail(501, 'NotImplemented', 'Chunked (streaming) uploads are not implemented by this server.');
	} else if (!/^[0-9a-f]{64}$/.test(sha)) {
		fail(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.');
	} else if (sha !== actual) {
		fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
	}
	const md5 = crypto.createHash('md5').update(body);
	const md5b = md5.digest();
	if (req.headers['content-md5'] !== undefined && req.headers['content-md5'] !== md5b.toString('base64')) {
		fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
	}
	const metadata = {};
	for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amz-meta-')) metadata[k.slice(11)] = v;
	const etag = `"${md5b.toString('hex')}"`;
	state.objects.set(`${bucket}/${key}`, { bucket, key, size: body.length, etag, sha256: actual,
		content_type: req.headers['content-type'] || 'binary/octet-stream', metadata, content_sha256_header: sha,
		body_base64: body.length <= 65536 ? body.toString('base64') : undefined });
	return { status: 200, type: null, body: '', headers: { ETag: etag, 'x-amz-request-id': requestId } };
}

// ---------------------------------------------------------------- vendor

function json(status, obj) {
	return { status, type: 'application/json', body: JSON.stringify(obj) + '\n' };
}

function readJson(req, body, shape) {
	if (!(req.headers['content-type'] || '').startsWith('application/json')) {
		fail(415, 'UnsupportedMediaType', 'The body must be application/json.');
	}
	let v;
	try {
		v = JSON.parse(body.toString('utf8'));
	} catch {
		fail(400, 'InvalidJSON', 'The body is not valid JSON.');
	}
	if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(400, 'ValidationError', 'The body must be a JSON object.');
	for (const k of Object.keys(v)) if (!(k in shape)) fail(400, 'ValidationError', `Unknown field '${k}'.`);
	for (const [k, rule] of Object.entries(shape)) {
		const x = v[k];
		if (x === undefined) {
			if (rule.required) fail(400, 'ValidationError', `Missing field '${k}'.`);
			continue;
		}
		const ok = rule.type === 'string' ? typeof x === 'string' && x.length >= (rule.min ?? 0) && x.length <= (rule.max ?? 1024) &&
				(!rule.re || rule.re.test(x)) && (!rule.oneOf || rule.oneOf.includes(x))
			: rule.type === 'object' ? x !== null && typeof x === 'object' && !Array.isArray(x)
			: rule.type === 'array' ? Array.isArray(x) && x.length <= (rule.max ?? 100)
			: rule.type === 'integer' ? Number.isInteger(x) && x >= 0
			: false;
		if (!ok) fail(400, 'ValidationError', `Field '${k}' is not valid.`);
	}
	return v;
}

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

function versionCmp(a, b) {
	const x = a.split('.').map(Number);
	const y = b.split('.').map(Number);
	for (let i = 0; i < Math.max(x.length, y.length); i++) {
		const d = (x[i] || 0) - (y[i] || 0);
		if (d) return d;
	}
	return 0;
}

// The signed envelope of the manifest the packages and the control's
// "manifest" fields make.
function manifestEnvelope(baseUrl) {
	const o = state.manifest;
	if (o.raw !== undefined) return { status: 200, type: 'application/json', body: o.raw };
	const recalled = o.recalled || [];
	const gone = new Set(recalled.map((r) => r && r.version));
	const versions = state.packages.filter((x) => !gone.has(x.version)).map((x) => ({
		version: x.version, released: x.released, notes: x.notes,
		url: `${baseUrl}/vendor/updates/packages/${encodeURIComponent(x.name)}`,
		sha256: crypto.createHash('sha256').update(x.content).digest('hex'), size: x.content.length,
	}));
	const now = serverNow('connector');
	const expires = o.expires ?? isoSeconds(now + 7 * 86400000);
	const latest = versions.reduce((a, x) => (a === null || versionCmp(x.version, a) > 0 ? x.version : a), null);
	const manifest = {
		format: 1, channel: 'stable', serial: o.serial ?? state.manifestSerial,
		published: isoSeconds(Math.min(now, Date.parse(expires) - 86400000)), expires,
		minimum_version: o.minimum_version ?? '0.0.0', latest: latest ?? '0.0.0', versions, recalled,
	};
	const bytes = Buffer.from(JSON.stringify(manifest));
	const k = MANIFEST_KEYS[o.key ?? 'test'];
	const sig = crypto.sign(null, bytes, k.key);
	if (o.bad_signature) sig[sig.length - 1] ^= 0x01;
	return json(200, { format: 1, key_id: k.id, manifest: bytes.toString('base64'), signature: sig.toString('base64') });
}

function vendor(req, url, body, baseUrl, who, auth) {
	const p = url.pathname;
	const route = `${req.method} ${p}`;
	if (route === 'GET /vendor/updates/manifest') return manifestEnvelope(baseUrl);
	if (req.method === 'GET' && p.startsWith('/vendor/updates/packages/')) {
		const name = pctDecode(p.slice('/vendor/updates/packages/'.length));
		const x = state.packages.find((y) => y.name === name);
		if (!x) fail(404, 'NoSuchPackage', `No package named '${name}'.`);
		const content = x.tampered ? Buffer.concat([x.content, Buffer.from('tampered')]) : x.content;
		return { status: 200, type: 'application/octet-stream', body: content };
	}
	if (route === 'POST /vendor/support/cases') {
		const v = readJson(req, body, {
			subject: { type: 'string', required: true, min: 1, max: 200 },
			description: { type: 'string', required: true, min: 1, max: 20000 },
			severity: { type: 'string', required: true, oneOf: ['low', 'normal', 'high', 'urgent'] },
			contact_email: { type: 'string', max: 254, re: /^[^@\s]+@[^@\s]+$/ },
			connector_id: { type: 'string', re: ID_RE },
			attachments: { type: 'array', max: 10 },
		});
		const c = { case_id: `case-${String(state.cases.length + 1).padStart(6, '0')}`, status: 'open',
			created: isoSeconds(serverNow('connector')), ...v };
		state.cases.push(c);
		return json(201, { case_id: c.case_id, status: c.status, created: c.created });
	}
	if (route === 'POST /vendor/metrics') {
		const v = readJson(req, body, {
			connector_id: { type: 'string', required: true, re: ID_RE },
			timestamp: { type: 'string', required: true, re: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ },
			metrics: { type: 'object', required: true },
		});
		for (const [k, x] of Object.entries(v.metrics)) {
			if (!/^[a-z][a-z0-9_.]{0,63}$/.test(k) || typeof x !== 'number' || !Number.isFinite(x)) {
				fail(400, 'ValidationError', `Metric '${k}' must be a finite number with a lower-case name.`);
			}
		}
		state.metrics.push({ received: isoSeconds(serverNow('connector')), ...v });
		return json(202, { accepted: Object.keys(v.metrics).length });
	}
	if (route === 'POST /vendor/portal/register') {
		const v = readJson(req, body, {
			connector_id: { type: 'string', required: true, re: ID_RE },
			hostname: { type: 'string', required: true, min: 1, max: 253 },
			ip: { type: 'string', required: true, min: 2, max: 45 },
			version: { type: 'string', required: true, min: 1, max: 64 },
			vcenter: { type: 'object' },
		});
		let reg = [...state.registrations.values()].find((r) => r.connector_id === v.connector_id);
		if (!reg) reg = { registration_id: `reg-${crypto.randomBytes(8).toString('hex')}` };
		Object.assign(reg, v, { registered: isoSeconds(serverNow('connector')) });
		state.registrations.set(reg.registration_id, reg);
		state.portalKey = { access_key: who.accessKey, region: auth.region };
		return json(201, { registration_id: reg.registration_id, connector_id: reg.connector_id, heartbeat_interval_seconds: 60 });
	}
	if (route === 'POST /vendor/portal/heartbeat') {
		const v = readJson(req, body, {
			registration_id: { type: 'string', required: true, re: ID_RE },
			status: { type: 'string', required: true, oneOf: ['ok', 'degraded', 'error'] },
			version: { type: 'string', min: 1, max: 64 },
			details: { type: 'object' },
		});
		if (!state.registrations.has(v.registration_id)) fail(404, 'NotRegistered', 'This connector is not registered.');
		const now = isoSeconds(serverNow('connector'));
		state.heartbeats.push({ received: now, ...v });
		state.registrations.get(v.registration_id).last_heartbeat = now;
		state.portalKey = { access_key: who.accessKey, region: auth.region };
		return json(200, { ok: true, server_time: now });
	}
	if (route === 'POST /vendor/portal/deregister') {
		const v = readJson(req, body, {
			registration_id: { type: 'string', required: true, re: ID_RE },
		});
		const reg = state.registrations.get(v.registration_id);
		if (!reg) fail(404, 'NotRegistered', 'This connector is not registered.');
		state.registrations.delete(v.registration_id);
		state.deregistrations.push({ received: isoSeconds(serverNow('connector')),
			registration_id: reg.registration_id, connector_id: reg.connector_id });
		return json(200, { ok: true });
	}
	return fail(404, 'NotFound', `No route for ${route}.`);
}

// ---------------------------------------------------------------- control

function controlState() {
	return {
		skew_seconds: state.skew,
		faults: state.faults,
		revoked_keys: [...state.revoked],
		counts: { requests: seq, import_tasks: state.importTasks.length, conversion_tasks: state.conversionTasks.length,
			instances: state.instances.length, objects: state.objects.size },
		import_limit: state.importLimit,
		page_size: state.pageSize,
		buckets: [...state.buckets],
		deny_roles: [...state.denyRoles],
		role_max_session: Object.fromEntries(state.roleMaxSession),
		objects: [...state.objects.values()],
		import_tasks_created: state.importTasks.filter((x) => x.roleName !== undefined)
			.map(({ created, ...x }) => x),
		packages: state.packages.map((x) => ({ name: x.name, version: x.version, size: x.content.length, tampered: !!x.tampered })),
		manifest: { serial: state.manifest.serial ?? state.manifestSerial, ...state.manifest },
		cases: state.cases,
		metrics: state.metrics,
		registrations: [...state.registrations.values()],
		heartbeats: state.heartbeats,
		deregistrations: state.deregistrations,
		temporary_credentials: [...state.keys.entries()].filter(([, v]) => v.token !== undefined)
			.map(([k, v]) => ({ access_key: k, kind: v.kind, arn: v.arn, expires: isoSeconds(v.expires) })),
		portal_key: state.portalKey,
		assume_role_calls: state.assumeRoleCalls,
	};
}

function checkFault(svc, f) {
	const bad = (m) => fail(400, 'ValidationError', `faults.${svc}: ${m}`);
	if (!(svc === '*' || SERVICES.includes(svc) || svc === 'vendor')) bad('unknown service');
	if (f === null) return null;
	if (typeof f !== 'object' || Array.isArray(f)) bad('must be an object or null');
	const allowed = ['latency_ms', 'hang', 'hang_times', 'skew_seconds', 'revoked_keys', 'error'];
	for (const k of Object.keys(f)) if (!allowed.includes(k)) bad(`unknown field ${k}`);
	if (f.latency_ms !== undefined && !(Number.isInteger(f.latency_ms) && f.latency_ms >= 0 && f.latency_ms <= 600000)) bad('latency_ms');
	if (f.hang !== undefined && typeof f.hang !== 'boolean') bad('hang');
	if (f.hang_times !== undefined && !(Number.isInteger(f.hang_times) && f.hang_times > 0)) bad('hang_times');
	if (f.skew_seconds !== undefined && !Number.isFinite(f.skew_seconds)) bad('skew_seconds');
	if (f.revoked_keys !== undefined && !(Array.isArray(f.revoked_keys) && f.revoked_keys.every((x) => typeof x === 'string'))) bad('revoked_keys');
	if (f.error !== undefined) {
		const e = f.error;
		if (!e || typeof e.code !== 'string' || !/^[A-Za-z.]{1,64}$/.test(e.code)) bad('error.code');
		if (e.status !== undefined && !(Number.isInteger(e.status) && e.status >= 400 && e.status <= 599)) bad('error.status');
		if (e.times !== undefined && !(Number.isInteger(e.times) && e.times > 0)) bad('error.times');
		if (e.action !== undefined && typeof e.action !== 'string') bad('error.action');
		if (e.every !== undefined && !(Number.isInteger(e.every) && e.every > 0)) bad('error.every');
		const dflt = { Throttling: 400, ThrottlingException: 400, RequestLimitExceeded: 503, SlowDown: 503,
			ServiceUnavailable: 503, InternalError: 500, InternalFailure: 500 };
		f.error = { status: e.status ?? dflt[e.code] ?? 500, code: e.code,
			message: typeof e.message === 'string' ? e.message : (e.code === 'Throttling' ? 'Rate exceeded' : `Injected ${e.code}`),
			times: e.times, action: e.action, every: e.every, seen: 0 };
	}
	return f;
}

function applyControl(v) {
	if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(400, 'ValidationError', 'The body must be a JSON object.');
	const known = ['reset', 'credentials', 'revoked_keys', 'skew_seconds', 'faults', 'preload', 'import_limit',
		'buckets', 'deny_roles', 'role_max_session', 'packages', 'import_task_updates', 'page_size', 'conversion_tasks',
		'conversion_task_updates', 'manifest'];
	const out = {};
	for (const k of Object.keys(v)) if (!known.includes(k)) fail(400, 'ValidationError', `Unknown field '${k}'.`);
	if (v.reset === true) {
		for (const r of hanging) r.destroy();
		hanging.clear();
		state = freshState();
	}
	if (v.credentials !== undefined) {
		if (!Array.isArray(v.credentials)) fail(400, 'ValidationError', 'credentials must be a list');
		for (const c of v.credentials) {
			if (!c || typeof c.access_key !== 'string' || c.access_key.length < 16 || typeof c.secret_key !== 'string' || !c.secret_key) {
				fail(400, 'ValidationError', 'credentials entries need access_key (16+ characters) and secret_key');
			}
			state.keys.set(c.access_key, { secret: c.secret_key, kind: 'user',
				arn: `arn:aws:iam::${opts.account}:user/${typeof c.user === 'string' ? c.user : 'connector'}`, userId: randomKeyId('AIDA') });
		}
	}
	if (v.revoked_keys !== undefined) {
		if (!Array.isArray(v.revoked_keys) || !v.revoked_keys.every((x) => typeof x === 'string')) fail(400, 'ValidationError', 'revoked_keys must be a list of strings');
		state.revoked = new Set(v.revoked_keys);
	}
	if (v.skew_seconds !== undefined) {
		if (!Number.isFinite(v.skew_seconds)) fail(400, 'ValidationError', 'skew_seconds must be a number');
		state.skew = v.skew_seconds;
	}
	if (v.faults !== undefined) {
		if (!v.faults || typeof v.faults !== 'object') fail(400, 'ValidationError', 'faults must be an object');
		for (const [svc, f] of Object.entries(v.faults)) {
			const name = svc === 'vendor' ? 'connector' : svc;
			const checked = checkFault(svc, f);
			if (checked === null) delete state.faults[name];
			else state.faults[name] = checked;
		}
	}
	if (v.preload !== undefined) {
		const pre = v.preload;
		const count = (k, max) => {
			const x = pre[k];
			if (x === undefined) return 0;
			if (!Number.isInteger(x) || x < 0 || x > max) fail(400, 'ValidationError', `preload.${k} must be 0..${max}`);
			return x;
		};
		for (const k of Object.keys(pre)) if (!['import_tasks', 'active_import_tasks', 'conversion_tasks', 'instances'].includes(k)) fail(400, 'ValidationError', `preload.${k} is unknown`);
		preloadImportTasks(count('import_tasks', 200000));
		out.preloaded_import_task_ids = preloadActiveImportTasks(count('active_import_tasks', 200000));
		const c = count('conversion_tasks', 100000);
		for (let i = 0; i < c; i++) state.conversionTasks.push(makeConversionTask(state.conversionTasks.length));
		const ni = count('instances', 100000);
		for (let i = 0; i < ni; i++) state.instances.push(makeInstance(state.instances.length));
	}
	if (v.import_limit !== undefined) {
		if (!Number.isInteger(v.import_limit) || v.import_limit < 0) fail(400, 'ValidationError', 'import_limit must be a non-negative integer');
		state.importLimit = v.import_limit;
	}
	if (v.buckets !== undefined) {
		if (!Array.isArray(v.buckets) || !v.buckets.every((b) => typeof b === 'string' && BUCKET_RE.test(b))) fail(400, 'ValidationError', 'buckets must be a list of bucket names');
		state.buckets = new Set(v.buckets);
	}
	if (v.deny_roles !== undefined) {
		if (!Array.isArray(v.deny_roles)) fail(400, 'ValidationError', 'deny_roles must be a list of role ARNs');
		state.denyRoles = new Set(v.deny_roles);
	}
	if (v.role_max_session !== undefined) {
		const r = v.role_max_session;
		if (!r || typeof r !== 'object' || Array.isArray(r) || !Object.values(r).every((x) => Number.isInteger(x) && x >= 3600 && x <= 43200)) {
			fail(400, 'ValidationError', 'role_max_session must map role ARNs to seconds, 3600..43200');
		}
		state.roleMaxSession = new Map(Object.entries(r));
	}
	if (v.packages !== undefined) {
		if (!Array.isArray(v.packages)) fail(400, 'ValidationError', 'packages must be a list');
		state.packages = v.packages.map((x) => {
			if (!x || typeof x.name !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(x.name) || typeof x.version !== 'string') {
				fail(400, 'ValidationError', 'packages entries need name ([A-Za-z0-9._-]) and version');
			}
			const content = typeof x.content_base64 === 'string' ? Buffer.from(x.content_base64, 'base64')
				: Buffer.from(typeof x.content === 'string' ? x.content : `connector update package ${x.version}\n`);
			return { name: x.name, version: x.version, notes: typeof x.notes === 'string' ? x.notes : '',
				released: typeof x.released === 'string' ? x.released : isoSeconds(Date.now()), content, tampered: x.tampered === true };
		});
	}
	if (v.manifest !== undefined) {
		const m = v.manifest;
		const bad = (k) => fail(400, 'ValidationError', `manifest.${k} is not valid`);
		if (m !== null && (typeof m !== 'object' || Array.isArray(m))) bad('(the whole)');
		for (const k of Object.keys(m || {})) if (!MANIFEST_FIELDS.includes(k)) fail(400, 'ValidationError', `manifest.${k} is unknown`);
		if (m) {
			if (m.recalled !== undefined && !(Array.isArray(m.recalled) && m.recalled.every((r) => r && typeof r === 'object'))) bad('recalled');
			if (m.minimum_version !== undefined && typeof m.minimum_version !== 'string') bad('minimum_version');
			if (m.serial !== undefined && !(Number.isInteger(m.serial) && m.serial > 0)) bad('serial');
			if (m.expires !== undefined && !(typeof m.expires === 'string' && Number.isFinite(Date.parse(m.expires)))) bad('expires');
			if (m.bad_signature !== undefined && typeof m.bad_signature !== 'boolean') bad('bad_signature');
			if (m.key !== undefined && !Object.hasOwn(MANIFEST_KEYS, m.key)) bad('key');
			if (m.raw !== undefined && typeof m.raw !== 'string') bad('raw');
		}
		state.manifest = { ...(m || {}) };
	}
	if (v.packages !== undefined || v.manifest !== undefined) state.manifestSerial = nextSerial();
	if (v.page_size !== undefined) {
		if (v.page_size !== null && !(Number.isInteger(v.page_size) && v.page_size > 0)) fail(400, 'ValidationError', 'page_size must be a positive integer or null');
		state.pageSize = v.page_size;
	}
	if (v.import_task_updates !== undefined) {
		if (!Array.isArray(v.import_task_updates)) fail(400, 'ValidationError', 'import_task_updates must be a list');
		for (const u of v.import_task_updates) {
			const x = u && state.importById.get(u.import_task_id);
			if (!x) fail(404, 'NotFound', `No import task '${u && u.import_task_id}'.`);
			if (u.delete === true) {
				// AWS no longer knows the task: gone from every answer.
				state.importById.delete(x.importTaskId);
				state.importTasks = state.importTasks.filter((y) => y !== x);
				continue;
			}
			for (const k of ['status', 'status_message', 'progress', 'image_id']) {
				if (u[k] !== undefined && u[k] !== null && typeof u[k] !== 'string') fail(400, 'ValidationError', `${k} must be a string`);
			}
			if (u.status !== undefined) x.status = u.status;
			if (u.status_message !== undefined) x.statusMessage = u.status_message ?? undefined;
			if (u.progress !== undefined) x.progress = u.progress ?? undefined;
			if (u.image_id !== undefined) x.imageId = u.image_id ?? undefined;
			if (x.status === 'completed') {
				// A finished task says so by its status alone.
				x.progress = undefined;
				if (u.status_message === undefined) x.statusMessage = undefined;
				if (!x.imageId) x.imageId = 'ami-' + hex(9, 17);
				for (const d of x.disks) d.status = 'completed';
			}
		}
	}
	if (v.conversion_tasks !== undefined) {
		// New instance imports (ImportInstance): [{id?, description?}].
		if (!Array.isArray(v.conversion_tasks)) fail(400, 'ValidationError', 'conversion_tasks must be a list');
		out.conversion_task_ids = v.conversion_tasks.map((c) => {
			if (!c || typeof c !== 'object') fail(400, 'ValidationError', 'conversion_tasks entries must be objects');
			if (c.id !== undefined && !(typeof c.id === 'string' && /^import-i-[0-9a-z]{8,17}$/.test(c.id))) fail(400, 'ValidationError', 'id must be import-i-...');
			if (c.description !== undefined && typeof c.description !== 'string') fail(400, 'ValidationError', 'description must be a string');
			return makeInstanceImport(c).id;
		});
	}
	if (v.conversion_task_updates !== undefined) {
		if (!Array.isArray(v.conversion_task_updates)) fail(400, 'ValidationError', 'conversion_task_updates must be a list');
		for (const u of v.conversion_task_updates) {
			const x = u && state.conversionTasks.find((y) => y.id === u.conversion_task_id);
			if (!x) fail(404, 'NotFound', `No conversion task '${u && u.conversion_task_id}'.`);
			if (u.delete === true) {
				state.conversionTasks = state.conversionTasks.filter((y) => y !== x);
				continue;
			}
			if (u.state !== undefined && !['active', 'cancelling', 'cancelled', 'completed'].includes(u.state)) fail(400, 'ValidationError', 'state must be active, cancelling, cancelled or completed');
			if (u.status_message !== undefined && u.status_message !== null && typeof u.status_message !== 'string') fail(400, 'ValidationError', 'status_message must be a string');
			if (u.bytes_converted !== undefined && !(Number.isInteger(u.bytes_converted) && u.bytes_converted >= 0)) fail(400, 'ValidationError', 'bytes_converted must be a count');
			if (u.state !== undefined) x.state = u.state;
			if (u.status_message !== undefined) x.statusMessage = u.status_message ?? undefined;
			if (u.bytes_converted !== undefined) x.bytesConverted = u.bytes_converted;
			if (x.state === 'completed') {
				x.bytesConverted = x.imageSize;
				x.statusMessage = undefined;
			}
		}
	}
	return out;
}

// ---------------------------------------------------------------- the portal's calls

// parseDate reads a control's date: ISO 8601 or YYYYMMDDTHHMMSSZ.
function parseDate(s) {
	const amz = parseAmzDate(s);
	if (amz) return amz;
	const d = new Date(s);
	if (typeof s !== 'string' || Number.isNaN(d.getTime())) fail(400, 'ValidationError', 'date must be ISO 8601 or YYYYMMDDTHHMMSSZ');
	return d;
}

// portalSign signs a call to the connector as the portal does: SigV4 with
// the AMP-connector key for service "connector", by AWS's own signer.
async function portalSign(v) {
	if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(400, 'ValidationError', 'The body must be a JSON object.');
	const known = ['url', 'method', 'headers', 'body', 'body_base64', 'key_id', 'secret', 'region', 'service',
		'date', 'skew_seconds', 'ca'];
	for (const k of Object.keys(v)) if (!known.includes(k)) fail(400, 'ValidationError', `Unknown field '${k}'.`);
	let target;
	try {
		target = new URL(v.url);
	} catch {
		fail(400, 'ValidationError', 'url must be an https URL');
	}
	if (target.protocol !== 'https:') fail(400, 'ValidationError', 'url must be an https URL');
	const keyId = v.key_id ?? (state.portalKey && state.portalKey.access_key);
	if (typeof keyId !== 'string') fail(400, 'ValidationError', 'No key_id given and no connector has registered with a key.');
	const secret = v.secret ?? (state.keys.get(keyId) || {}).secret;
	if (typeof secret !== 'string') fail(400, 'ValidationError', `No secret for key '${keyId}'.`);
	const region = v.region ?? (state.portalKey && state.portalKey.region) ?? REGION;
	const body = v.body_base64 !== undefined ? Buffer.from(v.body_base64, 'base64')
		: Buffer.from(typeof v.body === 'string' ? v.body : v.body === undefined ? '' : JSON.stringify(v.body));
	const headers = { host: target.host };
	for (const [k, x] of Object.entries(v.headers || {})) {
		if (typeof x !== 'string') fail(400, 'ValidationError', `header ${k} must be a string`);
		headers[k.toLowerCase()] = x;
	}
	if (body.length && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
	// As a portal does, so that the same user signing in twice within a
	// second makes two requests, not one request and its replay.
	if (headers['x-portal-request-id'] === undefined) headers['x-portal-request-id'] = crypto.randomUUID();
	let date = v.date !== undefined ? parseDate(v.date) : new Date();
	if (v.skew_seconds !== undefined) {
		if (!Number.isFinite(v.skew_seconds)) fail(400, 'ValidationError', 'skew_seconds must be a number');
		date = new Date(date.getTime() + v.skew_seconds * 1000);
	}
	const qi = v.url.indexOf('?');
	const rawSearch = qi < 0 ? '' : v.url.slice(qi + 1);
	const signer = new SignatureV4({ service: v.service ?? 'connector', region, sha256: Sha256, applyChecksum: false,
		uriEscapePath: true, credentials: { accessKeyId: keyId, secretAccessKey: secret } });
	const out = await signer.sign({ method: v.method ?? 'POST', protocol: 'https:', hostname: target.hostname,
		port: target.port ? Number(target.port) : undefined, path: rawPath(v.url.replace(/^https:\/\/[^/]*/, '')) || '/',
		query: parseRawQuery(rawSearch), headers, body: body.length ? body : undefined }, { signingDate: date });
	return { headers: out.headers, body, target, rawSearch };
}

// portalCall signs a call (portalSign) and sends it to the connector.
async function portalCall(v) {
	const ca = v && v.ca;
	if (ca !== undefined && typeof ca !== 'string') fail(400, 'ValidationError', 'ca must be a file name');
	const { headers, body, target, rawSearch } = await portalSign(v);
	const path = (v.url.replace(/^https:\/\/[^/]*/, '').split('?')[0] || '/') + (rawSearch ? `?${rawSearch}` : '');
	const send = { ...headers, 'content-length': String(body.length) };
	return new Promise((resolve) => {
		const rq = https.request({ hostname: target.hostname, port: target.port || 443, path, method: v.method ?? 'POST',
			headers: send, ca: ca ? fs.readFileSync(ca) : undefined, rejectUnauthorized: !!ca, agent: false }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve(json(200, { status: res.statusCode, headers: res.headers,
				body: Buffer.concat(chunks).toString('utf8') })));
		});
		rq.on('error', (e) => resolve(json(502, { error: { code: 'CallFailed', message: e.message } })));
		rq.end(body);
	});
}

function control(req, url, body) {
	const a = req.socket.remoteAddress || '';
	if (!(a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1')) return json(403, { error: { code: 'Forbidden', message: 'loopback only' } });
	const p = url.pathname.replace(/\/+$/, '');
	try {
		if (req.method === 'GET' && p === '/_control') return json(200, controlState());
		if (req.method === 'GET' && p === '/_control/requests') {
			const since = Number(url.searchParams.get('since') || 0);
			return json(200, { requests: state.requests.filter((r) => r.seq > since) });
		}
		if (req.method === 'POST' && (p === '/_control/sign' || p === '/_control/portal_call')) {
			let v;
			try {
				v = JSON.parse(body.toString('utf8'));
			} catch {
				fail(400, 'InvalidJSON', 'The body is not valid JSON.');
			}
			return p === '/_control/sign' ? portalSign(v).then((x) => json(200, { headers: x.headers }))
				: portalCall(v);
		}
		if (req.method === 'POST' && p === '/_control') {
			let v;
			try {
				v = JSON.parse(body.toString('utf8'));
			} catch {
				fail(400, 'InvalidJSON', 'The body is not valid JSON.');
			}
			const extra = applyControl(v);
			return json(200, { ...controlState(), ...extra });
		}
		return fail(404, 'NotFound', 'GET /_control, GET /_control/requests?since=N, POST /_control, '
			+ 'POST /_control/sign, POST /_control/portal_call');
	} catch (e) {
		if (!(e instanceof ApiError)) throw e;
		return json(e.status, { error: { code: e.code, message: e.message } });
	}
}

// ---------------------------------------------------------------- serving

const hanging = new Set();

function readBody(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size > MAX_BODY) {
				reject(new ApiError(413, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function send(res, service, r, requestId) {
	const headers = { ...(r.headers || {}) };
	headers.Date = new Date(serverNow(service)).toUTCString();
	if (r.type) headers['Content-Type'] = r.type;
	if (service === 's3') headers['x-amz-request-id'] = requestId;
	else headers['x-amzn-RequestId'] = requestId;
	const body = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body || '');
	headers['Content-Length'] = body.length;
	res.writeHead(r.status, headers);
	res.end(body);
}

async function handle(req, res, baseUrl) {
	const url = new URL(req.url, baseUrl);
	let body;
	try {
		body = await readBody(req);
	} catch (e) {
		if (e instanceof ApiError) send(res, 's3', { status: 413, ...renderError('s3', e, crypto.randomUUID()) }, '');
		return;
	}
	if (url.pathname === '/_control' || url.pathname.startsWith('/_control/')) {
		let r;
		try {
			r = await control(req, url, body);
		} catch (e) {
			if (!(e instanceof ApiError)) throw e;
			r = json(e.status, { error: { code: e.code, message: e.message } });
		}
		res.writeHead(r.status, { 'Content-Type': r.type, 'Content-Length': Buffer.byteLength(r.body) });
		res.end(r.body);
		return;
	}

	const requestId = crypto.randomUUID();
	const record = { seq: ++seq, time: new Date().toISOString(), method: req.method, path: url.pathname,
		query: url.search.slice(1), host: req.headers.host, user_agent: req.headers['user-agent'] };
	state.requests.push(record);
	if (state.requests.length > MAX_RECORDS) state.requests.shift();

	let service;
	let auth = null;
	try {
		auth = parseAuth(req);
	} catch {
		auth = { malformed: 'Authorization header is malformed.' };
	}
	// Vendor paths are always the vendor service (a request signed for
	// another service fails its signature check); otherwise the scope says.
	if (url.pathname.startsWith('/vendor/')) service = 'connector';
	else if (auth && !auth.malformed && SERVICES.includes(auth.service)) service = auth.service;
	else service = guessService(req, url, body);
	record.service = service;
	if (auth && auth.accessKey) record.access_key = auth.accessKey;
	if (auth && auth.signedHeaders) record.signed_headers = auth.signedHeaders;

	let params = null;
	if (service === 'sts' || service === 'ec2') {
		params = new URLSearchParams(url.search);
		if ((req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')) {
			for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
		}
		record.action = params.get('Action');
		record.params = Object.fromEntries(params);
	}

	const fault = faultFor(service);
	if (fault.latency_ms) await sleep(fault.latency_ms);
	let hang = fault.hang;
	if (!hang && fault.hang_times) {
		// A hang that fires that many times, then clears itself.
		hang = true;
		for (const f of Object.values(state.faults)) {
			if (f.hang_times && --f.hang_times <= 0) delete f.hang_times;
		}
	}
	if (hang) {
		record.status = 'hang';
		hanging.add(req.socket);
		req.socket.on('close', () => hanging.delete(req.socket));
		return;
	}

	let r;
	try {
		const rawQuery = parseRawQuery(url.search.slice(1));
		// The update manifest is fetched anonymously: its signature, not
		// the request's, makes it trustworthy.  A signed request is checked.
		const anonymous = auth === null && req.method === 'GET' && url.pathname === '/vendor/updates/manifest';
		const who = anonymous ? null : await verify(req, url, rawQuery, body, auth, service);
		const e = fault.error;
		// "every": N fires on the first matching request of every N.
		if (e && (!e.action || e.action === record.action) && (!e.every || e.seen++ % e.every === 0)) {
			// A fault with "times" fires that many times, then clears itself.
			if (e.times !== undefined && --e.times <= 0) {
				for (const f of Object.values(state.faults)) if (f.error === e) delete f.error;
			}
			fail(e.status, e.code, e.message);
		}
		if (service === 'sts') r = sts(params, who, requestId);
		else if (service === 'ec2') r = ec2(params, who, requestId);
		else if (service === 's3') r = s3(req, url, body, requestId);
		else if (url.pathname.startsWith('/vendor/')) r = vendor(req, url, body, baseUrl, who, auth);
		else fail(404, 'NotFound', 'Unknown path.');
	} catch (e) {
		if (!(e instanceof ApiError)) {
			process.stderr.write(`internal error: ${e.stack}\n`);
			e = new ApiError(500, 'InternalError', 'We encountered an internal error. Please try again.');
		}
		r = { status: e.status, ...renderError(service, e, requestId, url.pathname) };
		record.code = e.code;
	}
	record.status = r.status;
	send(res, service, r, requestId);
}

function main() {
	let tlsDir = opts.tlsDir;
	let tmp = null;
	if (tlsDir) fs.mkdirSync(tlsDir, { recursive: true });
	else tlsDir = tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-double-'));
	let tls;
	try {
		tls = makeTls(tlsDir);
	} catch (e) {
		process.stderr.write(`cannot make the test certificates: ${e.stderr || e.message}\n`);
		process.exit(1);
	}
	state = freshState();
	const sockets = new Set();
	let baseUrl = '';
	const server = https.createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
		handle(req, res, baseUrl).catch((e) => {
			process.stderr.write(`internal error: ${e.stack}\n`);
			if (!res.headersSent) res.writeHead(500);
			res.end();
		});
	});
	server.keepAliveTimeout = 30000;
	server.requestTimeout = 0;
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	server.on('error', (e) => {
		process.stderr.write(`cannot listen: ${e.message}\n`);
		process.exit(1);
	});
	const stop = () => {
		server.close();
		for (const s of sockets) s.destroy();
		if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
		process.exit(0);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	server.listen(opts.port, '127.0.0.1', () => {
		const port = server.address().port;
		baseUrl = `https://127.0.0.1:${port}`;
		const c = opts.credentials[0];
		process.stdout.write(JSON.stringify({ url: baseUrl, ca: tls.ca, control: `${baseUrl}/_control`,
			access_key: c.access_key, secret_key: c.secret_key, region: REGION, account: opts.account }) + '\n');
	});
}

main();
