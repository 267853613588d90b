-- Argo CD health check for fjord.dev/v1alpha1 Topic (docs/gitops/README.md).
-- The operator writes Ready / Progressing / Degraded conditions and status.observedGeneration;
-- reason Unmanaged (annotation fjord.dev/managed: "false") means it leaves the topic alone.
local hs = {}
local function condition(conditions, kind)
  for _, c in ipairs(conditions or {}) do
    if c.type == kind then return c end
  end
  return nil
end
local function describe(c)
  if c.message ~= nil and c.message ~= "" then return c.reason .. ": " .. c.message end
  return c.reason or ""
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting the Kafka topic"
  return hs
end
local status = obj.status
if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
local ready = condition(status.conditions, "Ready")
local progressing = condition(status.conditions, "Progressing")
local degraded = condition(status.conditions, "Degraded")
if ready ~= nil and ready.reason == "Unmanaged" then
  hs.status = "Suspended"
  hs.message = describe(ready)
elseif degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
elseif progressing ~= nil and progressing.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(progressing)
elseif ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready)
else
  hs.status = "Progressing"
  hs.message = ready ~= nil and describe(ready) or "Waiting for the Ready condition"
end
return hs
