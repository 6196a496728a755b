import { Module, type DynamicModule, type InjectionToken, type OptionalFactoryDependency } from '@nestjs/common';
import { ApiKeyVerifier } from './api-key.verifier.js';
import { AuthGuard } from './auth.guard.js';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.js';
import { JwtStrategy } from './jwt.strategy.js';
import { TokenVerifier } from './token-verifier.js';

export interface AuthModuleAsyncOptions {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: any[]) => AuthOptions | Promise<AuthOptions>;
}

/** Token and API-key verification. The app registers {@link AuthGuard} globally. */
@Module({})
export class AuthModule {
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: AUTH_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        TokenVerifier,
        ApiKeyVerifier,
        JwtStrategy,
        AuthGuard,
      ],
      exports: [AUTH_OPTIONS, TokenVerifier, ApiKeyVerifier, JwtStrategy, AuthGuard],
    };
  }
}
