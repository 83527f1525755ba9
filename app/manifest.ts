import type { MetadataRoute } from 'next';

/** The web app manifest: what makes the history installable as an app. */
export default function manifest(): MetadataRoute.Manifest {
  return {
    name: 'VEO job history',
    short_name: 'VEO jobs',
    description: 'Your VEO jobs on every device, online or not.',
    id: '/veo',
    start_url: '/veo',
    scope: '/',
    display: 'standalone',
    background_color: '#0f172a',
    theme_color: '#1d4ed8',
    categories: ['productivity', 'utilities'],
    icons: [
      { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
}
