import { redirect } from 'next/navigation';

/** The app is the job history. */
export default function HomePage(): never {
  redirect('/veo');
}
