/**
 * What a container log's path says about its container, as the kubelet and Docker name the files:
 *   /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restarts>.log   (rotated: `0.log.20261206-114000`)
 *   /var/log/containers/<pod>_<namespace>_<container>-<container id>.log     (links into the above)
 *   /var/lib/docker/containers/<container id>/<container id>-json.log       (Docker's json-file; rotated `.1`)
 * The parts cannot hold `_` (namespaces and container names are DNS labels, pod names DNS subdomains),
 * so the split is exact. Matched anywhere in the path: a DaemonSet often mounts the node's `/var/log`
 * elsewhere (`/host/var/log/pods/...`). The attributes carry OpenTelemetry's names, as the
 * Collector's container parser sets them from the same paths.
 */

export interface ContainerPath {
  attributes: Record<string, string>;
  /** The container's name (not in Docker's paths): the service of its records when the source names none. */
  container?: string;
}

const LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = '[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?';
const PODS = new RegExp(`/pods/(${LABEL})_(${SUBDOMAIN})_([0-9a-f][-0-9a-f]{15,35})/(${LABEL})/(\\d+)\\.log(?:\\.[^/]*)?$`);
const CONTAINERS = new RegExp(`/containers/(${SUBDOMAIN})_(${LABEL})_(${LABEL})-([0-9a-f]{64})\\.log$`);
const DOCKER = /\/containers\/([0-9a-f]{64})\/\1-json\.log(?:\.\d+)?$/;

/** The container a log file belongs to, from its path; undefined for any other file. */
export function containerFromPath(path: string): ContainerPath | undefined {
  // Cheap test first: most agents tail no container logs.
  if (path.indexOf('/pods/') === -1 && path.indexOf('/containers/') === -1) return undefined;
  const p = PODS.exec(path);
  if (p !== null) {
    return {
      container: p[4]!,
      attributes: {
        'k8s.namespace.name': p[1]!,
        'k8s.pod.name': p[2]!,
        'k8s.pod.uid': p[3]!,
        'k8s.container.name': p[4]!,
        'k8s.container.restart_count': p[5]!,
      },
    };
  }
  const c = CONTAINERS.exec(path);
  if (c !== null) {
    return {
      container: c[3]!,
      attributes: { 'k8s.pod.name': c[1]!, 'k8s.namespace.name': c[2]!, 'k8s.container.name': c[3]!, 'container.id': c[4]! },
    };
  }
  const d = DOCKER.exec(path);
  if (d !== null) return { attributes: { 'container.id': d[1]! } };
  return undefined;
}
