import type { Metadata } from 'next';
import { SignInForm } from '@/components/veo/SignInForm';

export const metadata: Metadata = { title: 'Sign in · VEO job history' };

export default function SignInPage() {
  return (
    <main className="veo">
      <SignInForm />
    </main>
  );
}
