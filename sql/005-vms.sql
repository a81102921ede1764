-- The VMs migrated to EC2 and their import tasks (lib/poller.c): one row per
-- import the connector tracks.  A row is the vCenter VM (managed object id
-- and name), the EC2 task (an ImportImage task, or a conversion task of
-- ImportInstance / ImportVolume), its latest state as the poller last read
-- it, and the result (the AMI, or the instance and its state).
--
-- state is the connector's view:
--   queued     an import waiting for a slot (at most 4 in progress per
--              region); bucket, object_key, format and client_token are
--              what ImportImage needs, task_id is not known yet
--   starting   ImportImage is being sent (a slot is taken); a row left so
--              by a killed process is sent again with the same client
--              token, which AWS answers with the same task
--   active     in progress in AWS (aws_status, progress, status_message)
--   completed  done: image_id (ImportImage) or instance_id (ImportInstance)
--   deleted    AWS deleted or cancelled the task; status_message says why
--   missing    AWS no longer knows the task id
--   failed     AWS refused to start the import; status_message says why
-- Only queued, starting and active rows are read from AWS again.
--
-- Times are Unix seconds: first_seen (tracked since), last_seen (AWS last
-- reported the task), last_change (state, progress, message or result
-- last changed).  The poller writes a run's changes in one transaction,
-- with the setting poller.polled_at (its time): the rows and that time
-- always agree.
CREATE TABLE vms (
	id INTEGER PRIMARY KEY,
	vm_moref TEXT NOT NULL CHECK (length(vm_moref) BETWEEN 1 AND 80),
	vm_name TEXT NOT NULL COLLATE NOCASE
	    CHECK (length(CAST(vm_name AS BLOB)) BETWEEN 1 AND 255),
	region TEXT NOT NULL CHECK (length(region) BETWEEN 1 AND 31),
	kind TEXT NOT NULL CHECK (kind IN ('image', 'conversion')),
	task_id TEXT UNIQUE CHECK (task_id IS NULL OR
	    length(task_id) BETWEEN 1 AND 63),
	state TEXT NOT NULL CHECK (state IN ('queued', 'starting', 'active',
	    'completed', 'deleted', 'missing', 'failed')),
	aws_status TEXT NOT NULL DEFAULT '' CHECK (length(aws_status) <= 31),
	progress INTEGER CHECK (progress IS NULL OR progress BETWEEN 0 AND 100),
	status_message TEXT NOT NULL DEFAULT ''
	    CHECK (length(CAST(status_message AS BLOB)) <= 255),
	image_id TEXT CHECK (image_id IS NULL OR length(image_id) <= 63),
	instance_id TEXT CHECK (instance_id IS NULL OR length(instance_id) <= 31),
	instance_state TEXT NOT NULL DEFAULT ''
	    CHECK (length(instance_state) <= 31),
	bucket TEXT CHECK (bucket IS NULL OR length(bucket) BETWEEN 3 AND 63),
	object_key TEXT CHECK (object_key IS NULL OR
	    length(CAST(object_key AS BLOB)) BETWEEN 1 AND 1024),
	format TEXT CHECK (format IS NULL OR format IN ('VMDK', 'OVA', 'VHD',
	    'RAW')),
	description TEXT NOT NULL DEFAULT ''
	    CHECK (length(CAST(description AS BLOB)) <= 255),
	client_token TEXT UNIQUE CHECK (client_token IS NULL OR
	    length(client_token) BETWEEN 1 AND 64),
	first_seen INTEGER NOT NULL,
	last_seen INTEGER,
	last_change INTEGER NOT NULL,
	-- The page sorts by these two: the states in the order an
	-- administrator reads them (work under way first), and the result.
	state_order INTEGER GENERATED ALWAYS AS (CASE state
	    WHEN 'active' THEN 1 WHEN 'starting' THEN 2 WHEN 'queued' THEN 3
	    WHEN 'failed' THEN 4 WHEN 'missing' THEN 5 WHEN 'deleted' THEN 6
	    ELSE 7 END) VIRTUAL,
	result TEXT GENERATED ALWAYS AS (coalesce(image_id, instance_id, ''))
	    VIRTUAL,
	-- A task id, except before one exists (or when starting failed).
	CHECK (task_id IS NOT NULL OR state IN ('queued', 'starting', 'failed')),
	-- Whatever is not started yet is an ImportImage with all it needs.
	CHECK (state NOT IN ('queued', 'starting') OR (kind = 'image' AND
	    bucket IS NOT NULL AND object_key IS NOT NULL AND format IS NOT NULL
	    AND client_token IS NOT NULL))
) STRICT;
CREATE INDEX vms_by_name ON vms (vm_name, id);
CREATE INDEX vms_by_state ON vms (state_order, id);
CREATE INDEX vms_by_progress ON vms (progress, id);
CREATE INDEX vms_by_result ON vms (result, id);
CREATE INDEX vms_by_change ON vms (last_change, id);
-- The poller's work and the slots in use, per region.
CREATE INDEX vms_unfinished ON vms (region, state)
    WHERE state IN ('queued', 'starting', 'active');

-- A run's remark that is neither news nor a failure (the poller of a
-- connector not registered yet: "not registered"), kept with the run.
ALTER TABLE jobs ADD COLUMN note TEXT;
