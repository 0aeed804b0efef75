import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInstance, maskBody, maskToken } from '../../../../pipeline/transforms/patterns/mask.ts';

const BODIES: [string, string, string][] = [
  // [what, body, masked tokens joined by spaces]
  ['integers', 'retry 3 of 10', 'retry <*> of <*>'],
  ['negative numbers', 'keyId: -127633188', 'keyId: <*>'],
  ['floats', 'took 0.2477829', 'took <*>'],
  ['IPv4 with port', 'connect to 10.251.43.115:50010 failed', 'connect to <*> failed'],
  ['host names', 'open through proxy.cse.cuhk.edu.hk:5070', 'open through <*>'],
  ['host names with a country code', 'from 62.99.164.82.sh.interxion.inode.at now', 'from <*> now'],
  ['package names are not host names', 'called by com.android.server.wm.WindowState.destroy', 'called by com.android.server.wm.WindowState.destroy'],
  ['host names at the end of a sentence keep the full stop', 'resolved example.com.', 'resolved <*>.'],
  ['code identifiers stay', 'OutputCommitter is org.apache.hadoop.FileOutputCommitter', 'OutputCommitter is org.apache.hadoop.FileOutputCommitter'],
  ['UUIDs', 'instance b9000564-fe1a-409b-b8cc-1e88b294cd1d spawned', 'instance <*> spawned'],
  ['hex', 'flags 0x1f3a at 54fadb412c4e40cdbaed9335e4c35a9e', 'flags <*> at <*>'],
  ['ISO timestamps', 'at 2017-05-16 00:00:00.008 done', 'at <*> done'],
  ['ISO timestamps with T and zone', 'since 2024-01-02T03:04:05Z', 'since <*>'],
  ['ctime dates', 'connection at Fri Jul  1 07:57:30 2005 ok', 'connection at <*> ok'],
  ['clock times', 'lifetime 00:01:02', 'lifetime <*>'],
  ['paths', 'removing /var/lib/nova/instances/_base/abc', 'removing <*>'],
  ['paths with a query', 'GET /v2/servers/detail?all_tenants=True&x=1 ok', 'GET <*> ok'],
  ['relative paths of three segments', 'RRD_update (/var/lib/rrds/D Nodes/dn731/pkts_out.rrd): bad', 'RRD_update (<*> <*>): bad'],
  ['Windows paths', 'Core: C:\\Windows\\winsxs\\cbscore.dll', 'Core: <*>'],
  ['UNC paths, in their quotes', "from path '\\\\?\\GLOBALROOT\\Device\\x.dat'.", "from path '<*>'."],
  ['URLs', 'fetch https://example.com/a?b=c now', 'fetch <*> now'],
  ['sizes with units', 'sent 1190 bytes (1.16 KB) ok', 'sent <*> ok'],
  ['a fixed unit stays beside its number', 'took 250 ms', 'took <*> ms'],
  // Thunderbird's gmetad: a list of numbered names of one stem is one value, whatever its length.
  ['a list of numbered names', 'we failed to resolve data source name an14 an15 an16 an17 an18', 'we failed to resolve data source name <*>'],
  ['a list of numbered names beside a variable', 'name dadmin2 dadmin3 dadmin4 at 10.0.0.1', 'name <*> at <*>'],
  ['two numbered names are no list', 'bond eth0 eth1 up', 'bond eth0 eth1 up'],
  // OpenSSH: an address and a reason code, each before its colon, are two values, not a list.
  ['two variables in a row are two', 'Received disconnect from 10.0.0.1: 11: Bye Bye [preauth]', 'Received disconnect from <*>: <*>: Bye Bye [preauth]'],
  ['three in a row are a list', 'ids 0x1f, 0x2f, 0x3f, done', 'ids <*>, done'],
  // Windows CBS: a package's identity of ids, an architecture and a version is one value.
  ['variables joined with numbered names', 'package: Package_for_KB3114409~31bf3856ad364e35~amd64~~6.1.1.1, ApplicableState: 112', 'package: <*>, ApplicableState: <*>'],
  ['plain words name what their variables number', 'slots disk-1-2-3 and ret=1,node=2,slot=3', 'slots disk-<*>-<*>-<*> and ret=<*>,node=<*>,slot=<*>'],
  ['numbered names of other stems are no list', 'ports eth0 wlan0 tun0 up', 'ports eth0 wlan0 tun0 up'],
  ['a bound with its unit is one value', 'lifetime <1 sec', 'lifetime <*>'],
  ['key=value keeps the key', 'rhost=218.188.2.4 user=root', 'rhost=<*> user=root'],
  ['identifiers with digits', 'task attempt_1445144423722_0020_m_000000_0 done', 'task <*> done'],
  ['ids joined by _ and a sign are one value', 'block blk_-6952295868487656571 added', 'block <*> added'],
  ['a name with a digit stays until it varies', 'via interface eth0', 'via interface eth0'],
  ['constant words with digits stay', 'Accepted password for x from 1.2.3.4 port 22 ssh2', 'Accepted password for x from <*> port <*> ssh2'],
  ['constant names with digits stay', 'jk2_init() Found child 6725 in scoreboard slot 10 log4j', 'jk2_init() Found child <*> in scoreboard slot <*> log4j'],
  ['punctuation around a variable stays', 'CE sym 2, at 0x0b85eee0, mask 0x10 [instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] to /10.251.90.64:', 'CE sym <*>, at <*>, mask <*> [instance: <*>] to <*>:'],
  ['a numbered host with a port (and Java\'s host/address) is one address', 'Old: msra-sa-41/10.190.173.170:8030 New: web-1:8030. Already', 'Old: <*> New: <*>. Already'],
  ['a value with a separator of its own keeps its shape', 'steps = 1514038440000##7015##548365', 'steps = <*>##<*>##<*>'],
  ['booleans and null are values', 'isScreenOn true config null', 'isScreenOn <*> config <*>'],
  ['an HTTP request target and its version are one value', '10.11.10.1 "GET /v2/servers/detail HTTP/1.1" status: 200', '<*> "GET <*>" status: <*>'],
  ['runs of variables collapse', 'values 1 2 3 4 end', 'values <*> end'],
  ['a list of values is one value', 'nodesets node-160 0x1e <ok> node-161 0x1f <ok> node-2 0x3 <ok> end', 'nodesets node-<*> <*> <ok> end'],
  ['a repeat of plain words stays', 'a b a b c', 'a b a b c'],
  ['empty brackets are an empty value', 'from 1.2.3.4 () at', 'from <*> (<*>) at'],
  ['quoted values are one token', 'tag="View Lock", name=x', 'tag="View Lock", name=x'],
  ['quoted sentences keep their words', 'said "hello world"', 'said "hello world"'],
  ['MAC addresses', 'mac 00:1a:2b:3c:4d:5e up', 'mac <*> up'],
  ['plain words stay', 'VM Started (Lifecycle Event)', 'VM Started (Lifecycle Event)'],
  ['whitespace is normalised', '  a\tb   c  ', 'a b c'],
  ['empty body', '', ''],
];

for (const [what, body, expected] of BODIES) {
  test(`masks ${what}`, () => {
    assert.equal(maskBody(body).join(' '), expected);
  });
}

const TOKENS: [string, string][] = [
  ['(HWID=1973)', '(HWID=<*>)'],
  ['[<*>/<*>]', '[<*>]'],
  ['tty2', 'tty2'],
  ['R02-M1-N0-C:J12-U11', 'R02-M1-N0-C:J12-U11'],
  ['042alt0', '<*>'],
  ['node-246', 'node-<*>'],
  ['user', 'user'],
  ['#12', '#<*>'],
  ['数据12', '数据<*>'],
];

for (const [token, expected] of TOKENS) {
  test(`masks token ${token}`, () => {
    assert.equal(maskToken(token), expected);
  });
}

test('a token is an instance of a pattern when each <*> covers some text', () => {
  assert.equal(isInstance('chdir(pwd)', 'chdir(<*>)'), true);
  assert.equal(isInstance('HTTPS', 'SOCKS<*>'), false);
  assert.equal(isInstance('a-b-c', '<*>-<*>'), true);
  assert.equal(isInstance('same', 'same'), true);
  assert.equal(isInstance('ab', 'a<*>b<*>c'), false);
  assert.equal(isInstance('rhost=', 'rhost=<*>'), false, 'a variable is never empty');
  assert.equal(isInstance('ac', 'a<*>c'), false);
  assert.equal(isInstance('abc', 'a<*>c'), true);
});
