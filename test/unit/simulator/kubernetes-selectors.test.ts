import { KubernetesApiError } from '../../../local/simulator/services/kubernetes-errors';
import type { KubeObject } from '../../../local/simulator/services/kubernetes-model';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../local/simulator/services/kubernetes-selectors';

const LABELS = {
  team: 'vision',
  'profile-type': 'personal',
  'app.kubernetes.io/part-of': 'kubeflow-profile',
};

const selects = (selector: string, labels: Record<string, string> | undefined = LABELS): boolean =>
  matchesLabels(parseLabelSelector(selector), labels);

describe('kubernetes-selectors', () => {
  it('selects everything with an empty or absent label selector', () => {
    // Act
    const results = [parseLabelSelector(''), parseLabelSelector(null), parseLabelSelector('  ')];

    // Assess
    expect(results).toEqual([[], [], []]);
    expect(selects('', undefined)).toBe(true);
  });

  it('matches equality, inequality and existence requirements', () => {
    // Act
    const results = {
      equals: selects('team=vision'),
      doubleEquals: selects('team==vision'),
      otherValue: selects('team=nlp'),
      notEquals: selects('team!=nlp'),
      notEqualsAbsent: selects('missing!=x'),
      exists: selects('app.kubernetes.io/part-of'),
      doesNotExist: selects('!offboarded'),
      conjunction: selects('team=vision,profile-type!=team'),
      conjunctionFails: selects('team=vision,profile-type=team'),
    };

    // Assess
    expect(results).toEqual({
      equals: true,
      doubleEquals: true,
      otherValue: false,
      notEquals: true,
      notEqualsAbsent: true,
      exists: true,
      doesNotExist: true,
      conjunction: true,
      conjunctionFails: false,
    });
  });

  it('matches set requirements whose value lists hold commas', () => {
    // Act
    const results = [
      selects('team in (nlp, vision),profile-type notin (team)'),
      selects('team in (nlp,forecasting)'),
      selects('missing notin (a,b)'),
    ];

    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it('refuses a malformed label selector with 400 BadRequest', () => {
    // Act
    const parse = (): unknown => parseLabelSelector('team=vision,,x');

    // Assess
    expect(parse).toThrow(KubernetesApiError);
    expect(parse).toThrow(/unable to parse requirement/);
    try {
      parse();
    } catch (error) {
      expect((error as KubernetesApiError).toStatus()).toMatchObject({ code: 400, reason: 'BadRequest' });
    }
  });

  it('selects on metadata.name and metadata.namespace only', () => {
    // Prepare
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'a', namespace: 'ns' },
    };

    // Act
    const matches = [
      matchesFields(parseFieldSelector('metadata.name=a,metadata.namespace==ns'), object),
      matchesFields(parseFieldSelector('metadata.namespace!=ns'), object),
    ];
    const unsupported = (): unknown => parseFieldSelector('spec.owner=x');

    // Assess
    expect(matches).toEqual([true, false]);
    expect(unsupported).toThrow('field label not supported: spec.owner');
  });
});
