#!/usr/bin/env python3
"""Holds the AWS test double (tests/peers/aws) to the AWS command-line client.

The client signs every request itself and parses every answer with the
services' own models, so a PASS here means the double speaks the real wire
formats and checks real signatures.  A few requests that the client cannot
be made to send (a wrong payload hash, no authentication, the vendor JSON
endpoints) are signed here by a small independent signer.

Prints "PASS name" / "FAIL name: why" lines; exits 1 when any test failed.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER_RUN = os.path.join(ROOT, 'tests', 'peers', 'aws', 'run')
BUCKET = 'connector-imports'

failures = 0


def report(name, ok, why=''):
    global failures
    if ok:
        print(f'PASS {name}', flush=True)
    else:
        failures += 1
        print(f'FAIL {name}: {why}', flush=True)


def find_cli():
    # The distribution's client first: another one earlier in PATH may differ.
    if os.access('/usr/bin/aws', os.X_OK):
        return '/usr/bin/aws'
    return shutil.which('aws')


class Double:
    """The AWS double, started on a free port, stopped by stop()."""

    def __init__(self, tmp):
        self.errlog = open(os.path.join(tmp, 'double.stderr'), 'w+')
        self.proc = subprocess.Popen([PEER_RUN], stdout=subprocess.PIPE, stderr=self.errlog,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        line = b''
        deadline = time.monotonic() + 120  # the first run may install packages
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.stop()
                raise RuntimeError('the double did not say where it listens')
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                self.stop()
                self.errlog.seek(0)
                raise RuntimeError('the double exited: ' + self.errlog.read()[-2000:])
            line += chunk
        self.info = json.loads(line)
        self.url = self.info['url']
        self.ca = self.info['ca']
        self.port = int(self.url.rsplit(':', 1)[1])
        self.ssl = ssl.create_default_context(cafile=self.ca)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass

    def request(self, method, path, body=b'', headers=None):
        conn = http.client.HTTPSConnection('127.0.0.1', self.port, context=self.ssl, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def control(self, body=None):
        if body is None:
            status, _, data = self.request('GET', '/_control')
        else:
            status, _, data = self.request('POST', '/_control', json.dumps(body).encode(),
                                           {'Content-Type': 'application/json'})
        if status != 200:
            raise RuntimeError(f'control answered {status}: {data[:300]!r}')
        return json.loads(data)

    def requests_since(self, seq):
        _, _, data = self.request('GET', f'/_control/requests?since={seq}')
        return json.loads(data)['requests']

    def last_seq(self):
        return self.control()['counts']['requests']


class Cli:
    def __init__(self, exe, double, tmp):
        self.exe = exe
        self.d = double
        home = os.path.join(tmp, 'home')
        os.makedirs(home)
        config = os.path.join(tmp, 'config')
        with open(config, 'w') as f:
            f.write('[default]\nregion = us-east-1\n\n'
                    '[profile signedpayload]\nregion = us-east-1\n'
                    's3 =\n    payload_signing_enabled = true\n')
        self.env = {
            'PATH': '/usr/bin:/bin', 'HOME': home, 'LC_ALL': 'C.UTF-8',
            'AWS_CONFIG_FILE': config,
            'AWS_SHARED_CREDENTIALS_FILE': os.path.join(tmp, 'no-credentials'),
            'AWS_ACCESS_KEY_ID': double.info['access_key'],
            'AWS_SECRET_ACCESS_KEY': double.info['secret_key'],
            'AWS_MAX_ATTEMPTS': '1', 'AWS_RETRY_MODE': 'standard',
            'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_PAGER': '',
        }

    def run(self, *args, env=None, timeout=60):
        """Runs one command; returns (exit status, parsed JSON or None, stderr)."""
        e = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        argv = [self.exe, '--endpoint-url', self.d.url, '--ca-bundle', self.d.ca,
                '--region', 'us-east-1', '--output', 'json', *args]
        p = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        out = None
        if p.returncode == 0 and p.stdout.strip():
            out = json.loads(p.stdout)
        return p.returncode, out, p.stderr.strip()

    def ok(self, *args, **kw):
        rc, out, err = self.run(*args, **kw)
        if rc != 0:
            raise AssertionError(f'aws {" ".join(args)} failed ({rc}): {err[-400:]}')
        return out

    def error(self, *args, **kw):
        """Runs a command that must fail; returns its error code from stderr."""
        rc, _, err = self.run(*args, **kw)
        if rc == 0:
            raise AssertionError(f'aws {" ".join(args)} succeeded')
        marker = 'An error occurred ('
        i = err.find(marker)
        if i < 0:
            raise AssertionError(f'no service error in: {err[-400:]}')
        return err[i + len(marker):err.index(')', i)]


# ------------------------------------------------------------------ signer

def quote(s):
    return urllib.parse.quote(s, safe='-_.~')


def signed_request(d, method, path, service, body=b'', headers=None, query=None,
                   key=None, secret=None, payload_hash=None):
    """Sends a SigV4-signed request (independent of the client under test)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime('%Y%m%dT%H%M%SZ')
    key = key or d.info['access_key']
    secret = secret or d.info['secret_key']
    h = {k.lower(): v for k, v in (headers or {}).items()}
    h['host'] = f'127.0.0.1:{d.port}'
    h['x-amz-date'] = amz_date
    query = query or {}
    cq = '&'.join(f'{quote(k)}={quote(v)}' for k, v in sorted(query.items()))
    if payload_hash is None:
        payload_hash = h.get('x-amz-content-sha256') or hashlib.sha256(body).hexdigest()
    names = sorted(h)
    canonical = '\n'.join([method, path, cq, ''.join(f'{k}:{h[k].strip()}\n' for k in names),
                           ';'.join(names), payload_hash])
    scope = f'{amz_date[:8]}/us-east-1/{service}/aws4_request'
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ('AWS4' + secret).encode()
    for part in (amz_date[:8], 'us-east-1', service, 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    h['authorization'] = (f'AWS4-HMAC-SHA256 Credential={key}/{scope}, '
                          f'SignedHeaders={";".join(names)}, Signature={sig}')
    return d.request(method, path + ('?' + cq if cq else ''), body, h)


def xml_code(data):
    s = data.decode()
    return s[s.index('<Code>') + 6:s.index('</Code>')]


# ------------------------------------------------------------------ tests

def test(name):
    def wrap(fn):
        fn.test_name = name
        TESTS.append(fn)
        return fn
    return wrap


TESTS = []


@test('sts_get_caller_identity')
def _(cli, d):
    out = cli.ok('sts', 'get-caller-identity')
    acct = d.info['account']
    assert out['Account'] == acct, out
    assert out['Arn'] == f'arn:aws:iam::{acct}:user/connector', out
    assert out['UserId'].startswith('AIDA'), out


def temp_env(creds):
    return {'AWS_ACCESS_KEY_ID': creds['AccessKeyId'], 'AWS_SECRET_ACCESS_KEY': creds['SecretAccessKey'],
            'AWS_SESSION_TOKEN': creds['SessionToken']}


@test('sts_federation_token_credentials_work')
def _(cli, d):
    out = cli.ok('sts', 'get-federation-token', '--name', 'portal-user', '--duration-seconds', '900')
    c = out['Credentials']
    acct = d.info['account']
    assert c['AccessKeyId'].startswith('ASIA') and c['SecretAccessKey'] and c['SessionToken'], c
    assert out['FederatedUser']['Arn'] == f'arn:aws:sts::{acct}:federated-user/portal-user', out
    left = datetime.datetime.fromisoformat(c['Expiration']) - datetime.datetime.now(datetime.timezone.utc)
    assert 600 < left.total_seconds() < 1200, f'expires in {left}'
    me = cli.ok('sts', 'get-caller-identity', env=temp_env(c))
    assert me['Arn'] == f'arn:aws:sts::{acct}:federated-user/portal-user', me
    assert me['UserId'] == out['FederatedUser']['FederatedUserId'], me


@test('sts_assume_role_credentials_work')
def _(cli, d):
    acct = d.info['account']
    role = f'arn:aws:iam::{acct}:role/connector-trust'
    out = cli.ok('sts', 'assume-role', '--role-arn', role, '--role-session-name', 'console-7')
    assert out['AssumedRoleUser']['Arn'] == f'arn:aws:sts::{acct}:assumed-role/connector-trust/console-7', out
    me = cli.ok('sts', 'get-caller-identity', env=temp_env(out['Credentials']))
    assert me['Arn'] == out['AssumedRoleUser']['Arn'], me
    # the temporary keys work for the other services too
    regions = cli.ok('ec2', 'describe-regions', env=temp_env(out['Credentials']))
    assert regions['Regions'], regions


@test('sts_assume_role_with_session_policy')
def _(cli, d):
    role = f'arn:aws:iam::{d.info["account"]}:role/portal-users'
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}'
    out = cli.ok('sts', 'assume-role', '--role-arn', role, '--role-session-name', 'user1@vsphere.local',
                 '--policy', policy, '--duration-seconds', '900')
    assert out['Credentials']['AccessKeyId'].startswith('ASIA'), out
    call = d.control()['assume_role_calls'][-1]
    assert (call['role_arn'], call['session_name'], call['duration_seconds'], call['policy']) == \
        (role, 'user1@vsphere.local', 900, policy), call
    code = cli.error('sts', 'assume-role', '--role-arn', role, '--role-session-name', 's1', '--policy', '{bad')
    assert code == 'MalformedPolicyDocument', code


@test('sts_bad_session_token_rejected')
def _(cli, d):
    out = cli.ok('sts', 'get-federation-token', '--name', 'portal-user')
    env = temp_env(out['Credentials'])
    env['AWS_SESSION_TOKEN'] = 'A' + env['AWS_SESSION_TOKEN'][1:] if env['AWS_SESSION_TOKEN'][0] != 'A' \
        else 'B' + env['AWS_SESSION_TOKEN'][1:]
    code = cli.error('sts', 'get-caller-identity', env=env)
    assert code == 'InvalidClientTokenId', code
    env['AWS_SESSION_TOKEN'] = None
    code = cli.error('sts', 'get-caller-identity', env=env)
    assert code == 'InvalidClientTokenId', code


@test('sts_bad_assume_role_denied')
def _(cli, d):
    role = f'arn:aws:iam::{d.info["account"]}:role/forbidden'
    d.control({'deny_roles': [role]})
    code = cli.error('sts', 'assume-role', '--role-arn', role, '--role-session-name', 's1')
    assert code == 'AccessDenied', code


@test('ec2_describe_regions')
def _(cli, d):
    out = cli.ok('ec2', 'describe-regions')
    names = {r['RegionName']: r for r in out['Regions']}
    assert 'us-east-1' in names and len(names) >= 10, names
    assert names['eu-west-1']['Endpoint'] == 'ec2.eu-west-1.amazonaws.com', names['eu-west-1']
    assert all(r['OptInStatus'] == 'opt-in-not-required' for r in out['Regions']), out
    one = cli.ok('ec2', 'describe-regions', '--region-names', 'eu-west-1')
    assert [r['RegionName'] for r in one['Regions']] == ['eu-west-1'], one
    every = cli.ok('ec2', 'describe-regions', '--all-regions')
    assert len(every['Regions']) > len(out['Regions']), every


@test('ec2_bad_region_name_rejected')
def _(cli, d):
    code = cli.error('ec2', 'describe-regions', '--region-names', 'mars-north-1')
    assert code == 'InvalidParameterValue', code


@test('ec2_import_tasks_cli_pagination_reads_all')
def _(cli, d):
    d.control({'reset': True, 'preload': {'import_tasks': 1200}})
    seq = d.last_seq()
    out = cli.ok('ec2', 'describe-import-image-tasks', '--page-size', '500')
    ids = [t['ImportTaskId'] for t in out['ImportImageTasks']]
    assert len(ids) == 1200 and len(set(ids)) == 1200, f'{len(ids)} tasks, {len(set(ids))} distinct'
    calls = [r for r in d.requests_since(seq) if r.get('action') == 'DescribeImportImageTasks']
    assert len(calls) == 3, f'{len(calls)} requests'
    assert all(r['params'].get('MaxResults') == '500' for r in calls), calls
    assert 'NextToken' not in calls[0]['params'] and all('NextToken' in r['params'] for r in calls[1:]), calls
    done = [t for t in out['ImportImageTasks'] if t['Status'] == 'completed']
    assert done and all(t['ImageId'].startswith('ami-') for t in done), done[:1]
    assert all(t['SnapshotDetails'][0]['UserBucket']['S3Bucket'] == BUCKET for t in out['ImportImageTasks'])


@test('ec2_import_tasks_manual_pages')
def _(cli, d):
    d.control({'reset': True, 'preload': {'import_tasks': 1200}})
    first = cli.ok('ec2', 'describe-import-image-tasks', '--max-results', '500')
    assert len(first['ImportImageTasks']) == 500 and first.get('NextToken'), len(first['ImportImageTasks'])
    nopage = cli.ok('ec2', 'describe-import-image-tasks', '--no-paginate', '--max-results', '500')
    assert len(nopage['ImportImageTasks']) == 500 and nopage.get('NextToken'), len(nopage['ImportImageTasks'])
    second = cli.ok('ec2', 'describe-import-image-tasks', '--max-results', '500',
                    '--next-token', first['NextToken'])
    third = cli.ok('ec2', 'describe-import-image-tasks', '--max-results', '500',
                   '--next-token', second['NextToken'])
    sizes = [len(p['ImportImageTasks']) for p in (first, second, third)]
    assert sizes == [500, 500, 200], sizes
    assert not third.get('NextToken'), third.get('NextToken')
    ids = [t['ImportTaskId'] for p in (first, second, third) for t in p['ImportImageTasks']]
    assert len(set(ids)) == 1200, len(set(ids))


@test('ec2_import_tasks_bad_max_results')
def _(cli, d):
    for n in ('4', '501'):
        code = cli.error('ec2', 'describe-import-image-tasks', '--max-results', n)
        assert code == 'InvalidParameterValue', f'{n}: {code}'


@test('ec2_import_tasks_bad_next_token')
def _(cli, d):
    code = cli.error('ec2', 'describe-import-image-tasks', '--max-results', '5', '--next-token', 'bm9wZQ==')
    assert code == 'InvalidParameterValue', code


@test('ec2_describe_conversion_tasks')
def _(cli, d):
    d.control({'reset': True, 'preload': {'conversion_tasks': 7}})
    out = cli.ok('ec2', 'describe-conversion-tasks')
    tasks = out['ConversionTasks']
    assert len(tasks) == 8, len(tasks)
    states = {t['State'] for t in tasks}
    assert states <= {'active', 'cancelling', 'cancelled', 'completed'} and len(states) == 4, states
    assert all(t['ImportVolume']['Volume']['Id'].startswith('vol-') for t in tasks), tasks[0]
    one = cli.ok('ec2', 'describe-conversion-tasks', '--conversion-task-ids', tasks[3]['ConversionTaskId'])
    assert [t['ConversionTaskId'] for t in one['ConversionTasks']] == [tasks[3]['ConversionTaskId']], one


@test('ec2_describe_conversion_tasks_instance_import')
def _(cli, d):
    cid = d.control({'reset': True, 'conversion_tasks': [{'description': 'db01'}]})['conversion_task_ids'][0]
    d.control({'conversion_task_updates': [{'conversion_task_id': cid, 'bytes_converted': 4294967296}]})
    t = cli.ok('ec2', 'describe-conversion-tasks', '--conversion-task-ids', cid)['ConversionTasks'][0]
    ii = t['ImportInstance']
    assert t['State'] == 'active' and ii['InstanceId'].startswith('i-'), t
    assert ii['Volumes'][0]['BytesConverted'] == 4294967296 and ii['Volumes'][0]['Image']['Size'] == 8589934592, ii
    d.control({'conversion_task_updates': [{'conversion_task_id': cid, 'state': 'completed'}]})
    t = cli.ok('ec2', 'describe-conversion-tasks', '--conversion-task-ids', cid)['ConversionTasks'][0]
    assert t['State'] == 'completed', t
    one = cli.ok('ec2', 'describe-instances', '--instance-ids', ii['InstanceId'])
    i = one['Reservations'][0]['Instances'][0]
    assert i['InstanceId'] == ii['InstanceId'] and i['State']['Name'] == 'stopped', i


@test('ec2_import_tasks_named_and_paged_by_the_service')
def _(cli, d):
    ids = d.control({'reset': True, 'page_size': 2, 'preload': {'active_import_tasks': 5}})['preloaded_import_task_ids']
    try:
        out = cli.ok('ec2', 'describe-import-image-tasks', '--import-task-ids', ids[4], ids[0], ids[2])
    finally:
        d.control({'page_size': None})
    got = [t['ImportTaskId'] for t in out['ImportImageTasks']]
    assert got == [ids[4], ids[0], ids[2]], got
    assert all(t['Status'] == 'active' and t['Progress'] == '2' for t in out['ImportImageTasks']), out
    code = cli.error('ec2', 'describe-import-image-tasks', '--import-task-ids', 'import-ami-0000000000000dead')
    assert code == 'InvalidConversionTaskId', code


@test('ec2_describe_instances')
def _(cli, d):
    d.control({'reset': True, 'preload': {'instances': 10}})
    out = cli.ok('ec2', 'describe-instances', '--page-size', '5')
    inst = [i for r in out['Reservations'] for i in r['Instances']]
    assert len(inst) == 12 and len({i['InstanceId'] for i in inst}) == 12, len(inst)
    assert {i['State']['Name'] for i in inst} == {'running', 'stopped'}, inst[:2]
    assert all(r['OwnerId'] == d.info['account'] for r in out['Reservations'])
    i0 = inst[0]
    assert i0['InstanceType'] and i0['Placement']['AvailabilityZone'] == 'us-east-1a', i0
    assert i0['LaunchTime'].startswith('2030-01-01T00:00:00'), i0['LaunchTime']
    one = cli.ok('ec2', 'describe-instances', '--instance-ids', i0['InstanceId'])
    assert one['Reservations'][0]['Instances'][0]['InstanceId'] == i0['InstanceId'], one


@test('ec2_describe_instances_bad_id')
def _(cli, d):
    code = cli.error('ec2', 'describe-instances', '--instance-ids', 'i-0123456789abcdef0')
    assert code == 'InvalidInstanceID.NotFound', code


@test('ec2_import_image_then_describe')
def _(cli, d):
    d.control({'reset': True})
    out = cli.ok('ec2', 'import-image', '--description', 'vm-42 from vCenter', '--license-type', 'BYOL',
                 '--disk-containers', f'Format=VMDK,UserBucket={{S3Bucket={BUCKET},S3Key=disks/vm-42.vmdk}}',
                 '--tag-specifications', 'ResourceType=import-image-task,Tags=[{Key=vm,Value=vm-42}]')
    tid = out['ImportTaskId']
    assert tid.startswith('import-ami-') and out['Status'] == 'active', out
    got = cli.ok('ec2', 'describe-import-image-tasks', '--import-task-ids', tid)
    task = got['ImportImageTasks'][0]
    assert task['ImportTaskId'] == tid and task['Description'] == 'vm-42 from vCenter', task
    assert task['SnapshotDetails'][0]['UserBucket'] == {'S3Bucket': BUCKET, 'S3Key': 'disks/vm-42.vmdk'}, task
    assert task['Tags'] == [{'Key': 'vm', 'Value': 'vm-42'}], task['Tags']
    active = cli.ok('ec2', 'describe-import-image-tasks', '--filters', 'Name=task-state,Values=active')
    assert [t['ImportTaskId'] for t in active['ImportImageTasks']] == [tid], active
    d.control({'import_task_updates': [{'import_task_id': tid, 'status': 'completed'}]})
    done = cli.ok('ec2', 'describe-import-image-tasks', '--import-task-ids', tid)['ImportImageTasks'][0]
    assert done['Status'] == 'completed' and done['ImageId'].startswith('ami-'), done


@test('ec2_import_image_bad_over_active_limit')
def _(cli, d):
    d.control({'reset': True, 'import_limit': 2})
    disk = f'Format=VMDK,UserBucket={{S3Bucket={BUCKET},S3Key=d.vmdk}}'
    cli.ok('ec2', 'import-image', '--disk-containers', disk)
    cli.ok('ec2', 'import-image', '--disk-containers', disk)
    code = cli.error('ec2', 'import-image', '--disk-containers', disk)
    assert code == 'ResourceCountLimitExceeded', code


def object_state(d, key):
    for o in d.control()['objects']:
        if o['key'] == key:
            return o
    return None


@test('s3_put_object_unsigned_payload')
def _(cli, d, tmp):
    body = os.urandom(3000) + b'disk image bytes'
    path = os.path.join(tmp, 'disk.vmdk')
    with open(path, 'wb') as f:
        f.write(body)
    out = cli.ok('s3api', 'put-object', '--bucket', BUCKET, '--key', 'disks/vm 1.vmdk', '--body', path,
                 '--metadata', 'vm=vm-1')
    assert out['ETag'] == '"%s"' % hashlib.md5(body).hexdigest(), out
    o = object_state(d, 'disks/vm 1.vmdk')
    assert o and o['sha256'] == hashlib.sha256(body).hexdigest() and o['size'] == len(body), o
    assert o['metadata'] == {'vm': 'vm-1'}, o


@test('s3_put_object_signed_payload')
def _(cli, d, tmp):
    body = b'signed payload ' * 1000
    path = os.path.join(tmp, 'signed.bin')
    with open(path, 'wb') as f:
        f.write(body)
    out = cli.ok('s3api', 'put-object', '--bucket', BUCKET, '--key', 'signed.bin', '--body', path,
                 env={'AWS_PROFILE': 'signedpayload'})
    assert out['ETag'] == '"%s"' % hashlib.md5(body).hexdigest(), out
    o = object_state(d, 'signed.bin')
    assert o and o['content_sha256_header'] == hashlib.sha256(body).hexdigest(), o


@test('s3_put_object_bad_bucket')
def _(cli, d, tmp):
    path = os.path.join(tmp, 'x')
    with open(path, 'wb') as f:
        f.write(b'x')
    code = cli.error('s3api', 'put-object', '--bucket', 'no-such-bucket', '--key', 'k', '--body', path)
    assert code == 'NoSuchBucket', code


def bad_secret(service_args):
    def check(cli, d, tmp):
        path = os.path.join(tmp, 'x')
        with open(path, 'wb') as f:
            f.write(b'x')
        args = [a.replace('@FILE', path) for a in service_args]
        code = cli.error(*args, env={'AWS_SECRET_ACCESS_KEY': 'W' + d.info['secret_key'][1:]})
        assert code == 'SignatureDoesNotMatch', code
    return check


for _n, _a in (('sts', ['sts', 'get-caller-identity']), ('ec2', ['ec2', 'describe-instances']),
               ('s3', ['s3api', 'put-object', '--bucket', BUCKET, '--key', 'k', '--body', '@FILE'])):
    test(f'{_n}_bad_secret_key_signature_does_not_match')(bad_secret(_a))


@test('sts_bad_unknown_key_invalid_client_token')
def _(cli, d):
    code = cli.error('sts', 'get-caller-identity', env={'AWS_ACCESS_KEY_ID': 'AKIAUNKNOWNKEY000001'})
    assert code == 'InvalidClientTokenId', code


@test('sts_bad_revoked_key_invalid_client_token')
def _(cli, d):
    d.control({'revoked_keys': [d.info['access_key']]})
    try:
        code = cli.error('sts', 'get-caller-identity')
    finally:
        d.control({'revoked_keys': []})
    assert code == 'InvalidClientTokenId', code
    cli.ok('sts', 'get-caller-identity')


@test('sts_bad_clock_skew_request_expired')
def _(cli, d):
    d.control({'skew_seconds': 600})
    try:
        code = cli.error('sts', 'get-caller-identity')
        ec2 = cli.error('ec2', 'describe-regions')
        d.control({'skew_seconds': 120})
        cli.ok('sts', 'get-caller-identity')  # within five minutes is fine
    finally:
        d.control({'skew_seconds': 0})
    assert code == 'RequestExpired' and ec2 == 'RequestExpired', (code, ec2)


@test('sts_bad_throttling_fault_reported')
def _(cli, d):
    d.control({'faults': {'sts': {'error': {'code': 'Throttling', 'times': 1}}}})
    seq = d.last_seq()
    code = cli.error('sts', 'get-caller-identity')
    assert code == 'Throttling', code
    assert len(d.requests_since(seq)) == 1, 'the client retried'
    cli.ok('sts', 'get-caller-identity')  # the fault fired once


@test('ec2_bad_hang_fault_times_out')
def _(cli, d):
    d.control({'faults': {'ec2': {'hang': True}}})
    try:
        rc, _, err = cli.run('--cli-read-timeout', '2', 'ec2', 'describe-regions', timeout=60)
    finally:
        d.control({'faults': {'ec2': None}})
    assert rc != 0 and 'timeout' in err.lower().replace('timed out', 'timeout'), err[-300:]
    cli.ok('ec2', 'describe-regions')


@test('s3_bad_payload_hash_mismatch')
def _(cli, d):
    body = b'real body'
    status, _, data = signed_request(d, 'PUT', f'/{BUCKET}/k', 's3', body,
                                     {'x-amz-content-sha256': hashlib.sha256(b'other').hexdigest()})
    assert status == 400 and xml_code(data) == 'XAmzContentSHA256Mismatch', (status, data[:200])
    status, _, data = signed_request(d, 'PUT', f'/{BUCKET}/k', 's3', body)
    assert status == 400 and xml_code(data) == 'InvalidRequest', (status, data[:200])
    status, _, _ = signed_request(d, 'PUT', f'/{BUCKET}/k', 's3', body,
                                  {'x-amz-content-sha256': hashlib.sha256(body).hexdigest()})
    assert status == 200, status


@test('sts_bad_missing_authentication')
def _(cli, d):
    status, _, data = d.request('POST', '/', b'Action=GetCallerIdentity&Version=2011-06-15',
                                {'Content-Type': 'application/x-www-form-urlencoded'})
    s = data.decode()
    assert status == 403 and '<ErrorResponse' in s and xml_code(data) == 'MissingAuthenticationToken', s


@test('vendor_update_manifest_and_package')
def _(cli, d):
    d.control({'reset': True})
    status, _, data = signed_request(d, 'GET', '/vendor/updates/manifest', 'connector')
    assert status == 200, (status, data[:200])
    v = json.loads(base64.b64decode(json.loads(data)['manifest']))['versions'][0]
    path = urllib.parse.urlsplit(v['url']).path
    status, _, pkg = signed_request(d, 'GET', path, 'connector')
    assert status == 200 and hashlib.sha256(pkg).hexdigest() == v['sha256'] and len(pkg) == v['size'], v
    status, _, data = signed_request(d, 'GET', '/vendor/updates/manifest', 'connector',
                                     secret='W' + d.info['secret_key'][1:])
    assert status == 403 and json.loads(data)['error']['code'] == 'SignatureDoesNotMatch', data


@test('vendor_support_case_and_portal')
def _(cli, d):
    d.control({'reset': True})
    js = {'Content-Type': 'application/json'}
    case = json.dumps({'subject': 'Import stuck', 'description': 'vm-42 waits', 'severity': 'high'}).encode()
    status, _, data = signed_request(d, 'POST', '/vendor/support/cases', 'connector', case, js)
    assert status == 201 and json.loads(data)['case_id'], (status, data)
    reg = json.dumps({'connector_id': 'c-1', 'hostname': 'connector', 'ip': '10.0.0.5', 'version': '1.0'}).encode()
    status, _, data = signed_request(d, 'POST', '/vendor/portal/register', 'connector', reg, js)
    assert status == 201, (status, data)
    rid = json.loads(data)['registration_id']
    hb = json.dumps({'registration_id': rid, 'status': 'ok'}).encode()
    status, _, _ = signed_request(d, 'POST', '/vendor/portal/heartbeat', 'connector', hb, js)
    assert status == 200, status
    st = d.control()
    assert st['cases'][0]['subject'] == 'Import stuck' and st['heartbeats'][0]['registration_id'] == rid, st
    bad = json.dumps({'registration_id': 'reg-none', 'status': 'ok'}).encode()
    status, _, _ = signed_request(d, 'POST', '/vendor/portal/heartbeat', 'connector', bad, js)
    assert status == 404, status
    status, _, _ = signed_request(d, 'POST', '/vendor/support/cases', 'connector', b'{"subject":1}', js)
    assert status == 400, status


def main():
    exe = find_cli()
    if exe is None:
        print('FAIL aws_cli_present: the aws command is not installed (Debian package awscli)')
        return 1
    tmp = tempfile.mkdtemp(prefix='aws-conformance-')
    d = None
    try:
        try:
            d = Double(tmp)
        except Exception as e:  # noqa: BLE001 - one FAIL line, then stop
            print(f'FAIL aws_double_starts: {e}')
            return 1
        cli = Cli(exe, d, tmp)
        for fn in TESTS:
            try:
                d.control({'faults': {'*': None, 'sts': None, 'ec2': None, 's3': None, 'connector': None},
                           'skew_seconds': 0})
                if fn.__code__.co_argcount == 3:
                    fn(cli, d, tmp)
                else:
                    fn(cli, d)
                report(fn.test_name, True)
            except Exception as e:  # noqa: BLE001 - reported as a FAIL line
                report(fn.test_name, False, f'{type(e).__name__}: {e}'[:600])
    finally:
        if d is not None:
            d.stop()
            d.errlog.seek(0)
            err = d.errlog.read()
            if 'internal error' in err:
                report('aws_double_no_internal_errors', False, err[-600:])
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
