// OpenNext's configuration for the Cloudflare Workers build (scripts/workers.sh): the defaults.
import { defineCloudflareConfig } from '@opennextjs/cloudflare';

export default defineCloudflareConfig({});
