// Staff sign in by initials (and a PIN where the library wants one); every record says who.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { DeskError } from '../../shared/api/index.js';
import { ErrorText } from '../components/error-text.js';
import { useDeskState } from '../desk-client/desk-context.js';

export function SignIn() {
  const signIn = useDeskState((state) => state.signIn);
  const library = useDeskState((state) => state.status?.library);
  const [initials, setInitials] = useState('');
  const [pin, setPin] = useState('');
  const [askPin, setAskPin] = useState(false);
  const [error, setError] = useState<DeskError | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const problem = await signIn(initials.trim(), askPin ? pin : undefined);
    if (problem?.code === 'pin_required') setAskPin(true);
    setError(problem);
  }
  return (
    <div className="sign-in">
      <h1>Sign in{library ? ` at ${library.name}` : ''}</h1>
      <form onSubmit={(event) => void submit(event)} className="card">
        <label htmlFor="sign-in-initials">Your initials</label>
        <input
          id="sign-in-initials"
          ref={first}
          required
          maxLength={8}
          pattern="[A-Za-z0-9]+"
          autoComplete="off"
          value={initials}
          onChange={(event) => setInitials(event.target.value)}
        />
        {askPin && (
          <>
            <label htmlFor="sign-in-pin">PIN</label>
            <input
              id="sign-in-pin"
              type="password"
              inputMode="numeric"
              pattern="[0-9]{4,8}"
              value={pin}
              onChange={(event) => setPin(event.target.value)}
            />
          </>
        )}
        <button type="submit">Sign in</button>
        <ErrorText error={error} />
      </form>
    </div>
  );
}
