// What a container log's path says (agents/sources/container-path.ts), on the layouts the kubelet and Docker
// writes and on paths that only look like them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerFromPath } from '../../../agents/sources/container-path.ts';

test('the pods layout: namespace, pod, pod uid, container and restarts, under any mount point; rotated files too', () => {
  const want = { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-7f9c6d5b8-x2x4q', 'k8s.pod.uid': '0d0a1e2f-3b4c-4d5e-8f90-a1b2c3d4e5f6', 'k8s.container.name': 'nginx', 'k8s.container.restart_count': '2' };
  assert.deepEqual(containerFromPath('/var/log/pods/shop_web-7f9c6d5b8-x2x4q_0d0a1e2f-3b4c-4d5e-8f90-a1b2c3d4e5f6/nginx/2.log'), { container: 'nginx', attributes: want });
  assert.deepEqual(containerFromPath('/host/var/log/pods/shop_web-7f9c6d5b8-x2x4q_0d0a1e2f-3b4c-4d5e-8f90-a1b2c3d4e5f6/nginx/2.log.20261206-114000')?.attributes, want);
  // A static pod's uid is its config's hash (32 hex digits); pod names may hold dots.
  assert.equal(containerFromPath('/var/log/pods/kube-system_etcd-node-1.example.com_9c2d4b0e8f1a3c5d7e9f0a1b2c3d4e5f/etcd/0.log')?.attributes['k8s.pod.name'], 'etcd-node-1.example.com');
});

test('the containers layout: pod, namespace, container and the container id', () => {
  const id = 'a'.repeat(40) + '0123456789abcdef01234567';
  assert.deepEqual(containerFromPath(`/var/log/containers/web-7f9c6d5b8-x2x4q_shop_nginx-${id}.log`), {
    container: 'nginx',
    attributes: { 'k8s.pod.name': 'web-7f9c6d5b8-x2x4q', 'k8s.namespace.name': 'shop', 'k8s.container.name': 'nginx', 'container.id': id },
  });
});

test('other files are not containers, even with pods or containers in their path', () => {
  for (const path of [
    '/var/log/nginx/access.log',
    '/srv/pods/readme.log',
    '/var/log/pods/shop_web_0d0a1e2f/nginx/0.log', // a uid too short
    '/var/log/pods/Shop_web-1_0d0a1e2f-3b4c-4d5e-8f90-a1b2c3d4e5f6/nginx/0.log', // upper case is no namespace
    '/var/log/pods/shop_web-1_0d0a1e2f-3b4c-4d5e-8f90-a1b2c3d4e5f6/nginx/0.log.gz/x', // a folder below
    '/var/log/containers/web_shop_nginx-abc.log', // a container id is 64 hex digits
  ]) assert.equal(containerFromPath(path), undefined, path);
});

test("Docker's json-file logs: the container id, and no name to take as the service", () => {
  const id = '4f1c2b3a'.repeat(8);
  assert.deepEqual(containerFromPath(`/var/lib/docker/containers/${id}/${id}-json.log`), { attributes: { 'container.id': id } });
  assert.deepEqual(containerFromPath(`/var/lib/docker/containers/${id}/${id}-json.log.3`)?.attributes, { 'container.id': id });
  assert.equal(containerFromPath(`/var/lib/docker/containers/${id}/${'0'.repeat(64)}-json.log`), undefined, 'the file is named after its own folder');
});
