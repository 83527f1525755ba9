import type { Metadata } from 'next';
import { VeoHistoryPanel } from '@/components/veo/VeoHistoryPanel';

export const metadata: Metadata = { title: 'VEO job history' };

/**
 * The history page. It is static: everything it shows comes from the device (IndexedDB) after
 * hydration, so it renders the same offline, from the service worker's precache.
 */
export default function VeoPage() {
  return (
    <main className="veo">
      <VeoHistoryPanel />
    </main>
  );
}
