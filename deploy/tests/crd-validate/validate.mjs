// Validates custom resources against their CRD schemas, as shipped by the kubernetes-models packages
// (generated from the upstream CRDs). Input: a JSON array of objects on stdin. Output: one JSON line per
// object, {kind, name, ok, error}. An apiVersion/kind this script has no schema for is reported as an
// error, so a new CRD kind cannot slip through unvalidated.
import { readFileSync } from "node:fs";

const MODELS = {
  "gateway.networking.k8s.io/v1/Gateway": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway",
  "gateway.networking.k8s.io/v1/HTTPRoute": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute",
  "gateway.networking.k8s.io/v1/GatewayClass": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass",
  "gateway.networking.k8s.io/v1beta1/ReferenceGrant": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant",
  "security.istio.io/v1/PeerAuthentication": "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication",
  "security.istio.io/v1/AuthorizationPolicy": "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy",
  "networking.istio.io/v1/DestinationRule": "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule",
};

const objects = JSON.parse(readFileSync(0, "utf8"));
for (const obj of objects) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const name = `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
  const path = MODELS[key];
  if (!path) {
    console.log(JSON.stringify({ kind: key, name, ok: false, error: "no schema known for this apiVersion/kind" }));
    continue;
  }
  const mod = await import(path);
  const Model = mod[obj.kind];
  try {
    new Model(obj).validate();
    console.log(JSON.stringify({ kind: key, name, ok: true }));
  } catch (e) {
    console.log(JSON.stringify({ kind: key, name, ok: false, error: String(e.message ?? e) }));
  }
}
