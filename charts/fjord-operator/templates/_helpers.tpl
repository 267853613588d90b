{{/* Names ------------------------------------------------------------------------------------ */}}

{{- define "fjord-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base name: the release name when it already contains the chart name. */}}
{{- define "fjord-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fjord-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fjord-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fjord-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Labels ----------------------------------------------------------------------------------- */}}

{{- define "fjord-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fjord-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "fjord-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "fjord-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: fjord
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of the Cluster and Topics of the `cluster:` block (no operator component/selector labels). */}}
{{- define "fjord-operator.resourceLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: fjord
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Watch mode ------------------------------------------------------------------------------- */}}

{{/* "all" (watchNamespaces empty: ClusterRole) or "namespaced" (a Role in each listed namespace). */}}
{{- define "fjord-operator.watchMode" -}}
{{- if .Values.watchNamespaces }}namespaced{{ else }}all{{ end }}
{{- end }}

{{/*
The operator's permissions on the namespaces it watches (test/install/apiserver.test.ts runs the
operator as this ServiceAccount):
  - Cluster and Topic: read and server-side apply (finalizers and status are applied, never updated);
  - the children of a Cluster: read and server-side apply; an apply that finds no object creates
    it, which the API server authorizes as `create` as well as `patch`;
  - pods: list/watch, and delete (one at a time, during a rolling restart);
  - events: create.
clusters/finalizers update: the children's controller ownerReferences set blockOwnerDeletion, which
API servers with the OwnerReferencesPermissionEnforcement admission plugin allow only to those who
may update the owner's finalizers.
No secrets, no deletes except pods, no update (server-side apply is patch), no pod creation.
*/}}
{{- define "fjord-operator.watchRules" -}}
- apiGroups: ["fjord.dev"]
  resources: ["clusters", "topics"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["fjord.dev"]
  resources: ["clusters/status", "topics/status"]
  verbs: ["patch"]
- apiGroups: ["fjord.dev"]
  resources: ["clusters/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["serviceaccounts", "configmaps", "services"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/* Leader election: the Lease "fjord-operator" only (create cannot be limited by name). */}}
{{- define "fjord-operator.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["create"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  resourceNames: ["fjord-operator"]
  verbs: ["get", "update"]
{{- end }}
