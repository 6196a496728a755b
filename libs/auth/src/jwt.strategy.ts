import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type jwt from 'jsonwebtoken';
import { TokenVerifier } from './token-verifier.js';

/** Set on the request by the guard when the route accepts `?access_token=`. */
export const QUERY_TOKEN_ALLOWED = Symbol('riser:query-token-allowed');

const fromHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * passport-jwt over the TokenVerifier's keys and options. It registers on a Passport
 * instance of its own rather than the process-wide one, so two apps in one process (as in
 * tests) never check tokens with each other's keys.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private ownPassport?: passport.PassportStatic;

  constructor(private readonly verifier: TokenVerifier) {
    super({
      jwtFromRequest: (req: any) =>
        fromHeader(req) ??
        (req[QUERY_TOKEN_ALLOWED] && typeof req.query?.access_token === 'string' ? req.query.access_token : null),
      // A KeyObject, which jsonwebtoken accepts; the typings only know strings and buffers.
      secretOrKeyProvider: (_req: unknown, rawJwt: string, done: (err: unknown, key?: any) => void) => {
        verifier.keyFor(rawJwt).then(
          (key) => done(null, key),
          (err) => done(err),
        );
      },
      algorithms: verifier.verifyOptions.algorithms,
      issuer: verifier.verifyOptions.issuer as string | undefined,
      audience: verifier.verifyOptions.audience as string | undefined,
      jsonWebTokenOptions: { clockTolerance: verifier.verifyOptions.clockTolerance },
    });
  }

  getPassportInstance(): passport.PassportStatic {
    return (this.ownPassport ??= new passport.Passport() as passport.PassportStatic);
  }

  validate(payload: jwt.JwtPayload) {
    return this.verifier.toPrincipal(payload);
  }
}
