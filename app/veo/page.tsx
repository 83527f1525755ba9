import type { Metadata } from 'next';
import { VeoHistoryPanel } from '@/components/veo/VeoHistoryPanel';
import { earlyListScript } from '@/lib/client/early-list';

export const metadata: Metadata = { title: 'VEO job history' };

/**
 * The history page. It is static: everything it shows comes from the device (IndexedDB) after
 * hydration, so it renders the same offline, from the service worker's precache. Its first
 * element is a small script that begins reading the device's list while the app's code loads
 * (lib/client/early-list.ts).
 */
export default function VeoPage() {
  return (
    <main className="veo">
      <script dangerouslySetInnerHTML={{ __html: earlyListScript() }} />
      <VeoHistoryPanel />
    </main>
  );
}
