{{/*
Names. The backend is named after the release (release "awe" -> "awe"), the
UI gets "-ui" appended ("awe-ui"), as in the deployment guide.
*/}}
{{- define "openg2p-awe.name" -}}
{{- .Release.Name | trunc 60 | trimSuffix "-" -}}
{{- end -}}

{{- define "openg2p-awe.uiName" -}}
{{- printf "%s-ui" (include "openg2p-awe.name" .) -}}
{{- end -}}

{{- define "openg2p-awe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels. app.kubernetes.io/instance is what scripts/teardown.sh sweeps by.
Call with (dict "root" $ "component" "awe").
*/}}
{{- define "openg2p-awe.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "openg2p-awe.labels" -}}
{{ include "openg2p-awe.selectorLabels" . }}
app.kubernetes.io/part-of: openg2p-awe
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "openg2p-awe.chart" .root }}
{{- end -}}

{{/* Keycloak URLs derived from global.keycloakBaseUrl and global.keycloakRealm. */}}
{{- define "openg2p-awe.keycloakIssuer" -}}
{{- $base := tpl .Values.global.keycloakBaseUrl . | trimSuffix "/" -}}
{{- printf "%s/realms/%s" $base (tpl .Values.global.keycloakRealm .) -}}
{{- end -}}

{{- define "openg2p-awe.keycloakJwksUrl" -}}
{{- printf "%s/protocol/openid-connect/certs" (include "openg2p-awe.keycloakIssuer" .) -}}
{{- end -}}

{{/*
Flattens a map of config/default.yaml keys into AWE__SECTION__KEY: "value"
lines for a ConfigMap. Lists become KEY__0, KEY__1, ... (how .NET
configuration reads arrays from the environment). String values are
rendered with tpl. Whole numbers are printed without an exponent (values
files give every number as a float, and 1048576 would print as 1.048576e+06).
Call with (dict "root" $ "prefix" "AWE" "value" .Values.awe.config).
*/}}
{{- define "openg2p-awe.configEnv" -}}
{{- $root := .root -}}
{{- range $key, $value := .value }}
{{- $name := printf "%s__%s" $.prefix (upper $key) }}
{{- if kindIs "map" $value }}
{{- include "openg2p-awe.configEnv" (dict "root" $root "prefix" $name "value" $value) }}
{{- else if kindIs "slice" $value }}
{{- range $i, $item := $value }}
{{- include "openg2p-awe.configEnv" (dict "root" $root "prefix" $name "value" (dict (toString $i) $item)) }}
{{- end }}
{{- else }}
{{ $name }}: {{ include "openg2p-awe.scalar" (dict "root" $root "value" $value) | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "openg2p-awe.scalar" -}}
{{- $v := .value -}}
{{- if kindIs "string" $v -}}
{{- tpl $v .root -}}
{{- else if and (kindIs "float64" $v) (eq (float64 (int64 $v)) $v) -}}
{{- int64 $v -}}
{{- else if kindIs "invalid" $v -}}
{{- else -}}
{{- $v -}}
{{- end -}}
{{- end -}}

{{/* Renders a name -> value map as container env entries, values through tpl. */}}
{{- define "openg2p-awe.envVars" -}}
{{- $root := .root -}}
{{- range $name, $value := .vars }}
- name: {{ $name }}
  value: {{ include "openg2p-awe.scalar" (dict "root" $root "value" $value) | quote }}
{{- end }}
{{- end -}}

{{/* Renders a name -> valueFrom map as container env entries, through tpl. */}}
{{- define "openg2p-awe.envVarsFrom" -}}
{{- $root := .root -}}
{{- range $name, $from := .vars }}
- name: {{ $name }}
  valueFrom:
    {{- tpl (toYaml $from) $root | nindent 4 }}
{{- end }}
{{- end -}}

{{/* Secret of the connection string when it is given in values. */}}
{{- define "openg2p-awe.dbSecretName" -}}
{{- printf "%s-connection" (include "openg2p-awe.name" .) -}}
{{- end -}}

{{/* Secret with the Data Protection master key: given, or created by the chart. */}}
{{- define "openg2p-awe.dataProtectionSecretName" -}}
{{- .Values.awe.dataProtection.existingSecret | default (printf "%s-data-protection" (include "openg2p-awe.name" .)) -}}
{{- end -}}

{{/*
Writable /tmp for a read-only root filesystem. Call with the component's
values (.Values.awe or .Values.ui).
*/}}
{{- define "openg2p-awe.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .tmpSizeLimit }}
{{- end -}}
