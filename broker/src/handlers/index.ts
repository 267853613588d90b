// Importing a handler module registers it. Keep in API-key order.
import './00-produce.js';
import './01-fetch.js';
import './02-list-offsets.js';
import './03-metadata.js';
import './18-api-versions.js';
import './19-create-topics.js';
import './20-delete-topics.js';
import './21-delete-records.js';
import './22-init-producer-id.js';
import './23-offset-for-leader-epoch.js';
import './32-describe-configs.js';
import './33-alter-configs.js';
import './37-create-partitions.js';
import './44-incremental-alter-configs.js';
import './60-describe-cluster.js';
import './75-describe-topic-partitions.js';
