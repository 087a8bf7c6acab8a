#!/usr/bin/env python3
"""Regenerate stripe-openapi-terminal.json from Stripe's generated SDK sources (no network needed).

Field types, enums and int-vs-float come from the stripe-python package (read with `ast`, never imported);
required (no `?`) and nullable (`| null`) come from the stripe-node TypeScript types. Use the two SDK
releases that match the API version the kiosk pins, e.g.:

    pip install --no-deps --target scratch/py stripe==16.1.0              # -> scratch/py/stripe
    (cd scratch && npm pack stripe@23.1.0 && tar xzf stripe-23.1.0.tgz)  # -> scratch/package
    python gen_stripe_schema.py --py scratch/py/stripe --ts scratch/package \
        [--fixtures openapi/fixtures3.json] -o stripe-openapi-terminal.json

Only the standard library is used.
"""
import argparse, ast, json, re, sys, os

PY = TS = FIXTURES = None

# ---------- TS: (interface path) -> {prop: (optional, nullable)}
def parse_ts(path):
    out, stack = {}, []
    for line in open(path):
        s = line.strip()
        if s.startswith(('/**', '*', '*/')) or not s:
            continue
        m = re.match(r'^(?:export )?(?:declare )?(namespace|interface) (\w+)(?: extends [\w.<>, ]+)? \{$', s)
        if m:
            stack.append((m.group(1), m.group(2)))
            if m.group(1) == 'interface':
                out.setdefault('.'.join(n for _, n in stack), {})
            continue
        if s.endswith('{'):
            stack.append(('other', '?'))
            continue
        if s == '}' or s == '};':
            if stack: stack.pop()
            continue
        if stack and stack[-1][0] == 'interface':
            m = re.match(r'^(\w+)(\?)?: (.*);$', s)
            if m:
                out['.'.join(n for _, n in stack)][m.group(1)] = (bool(m.group(2)), bool(re.search(r'\|\s*null\b', m.group(3))))
            elif ':' in s and not s.endswith((';', '{', ',')):
                print('WARN multiline TS prop?', path, s[:80], file=sys.stderr)
    return out

# ---------- Python AST helpers
def load_classes(pyfile):
    return {n.name: n for n in ast.parse(open(pyfile).read()).body if isinstance(n, ast.ClassDef)}

CUT = set()          # names of resources replaced by {}
REFS = {}            # python resource class name -> bundle def name (embedded via $ref)

def nested(cls):
    return {b.name: b for b in cls.body if isinstance(b, ast.ClassDef)}

def lit_values(node):
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [e.value for e in elts]

def make_nullable(sch):
    if isinstance(sch.get('type'), str) and 'anyOf' not in sch:
        sch = dict(sch)
        sch['type'] = [sch['type'], 'null']
        if 'enum' in sch:
            sch['enum'] = sch['enum'] + [None]
        return sch
    if 'anyOf' in sch and len(sch) == 1:
        return {'anyOf': sch['anyOf'] + [{'type': 'null'}]}
    return {'anyOf': [sch, {'type': 'null'}]}


class Gen:
    def __init__(self, ts, cut_props):
        self.ts = ts; self.cut_props = cut_props; self.notes = []
    def conv(self, node, scope):  # scope: list of (name, ClassDef) outermost..innermost
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.resource(node.value)
        if isinstance(node, ast.Name):
            n = node.id
            prim = {'str': {'type': 'string'}, 'int': {'type': 'integer'}, 'float': {'type': 'number'},
                    'bool': {'type': 'boolean'}, 'Any': {}}
            if n in prim: return dict(prim[n])
            for i in range(len(scope) - 1, -1, -1):
                nc = nested(scope[i][1])
                if n in nc:
                    return self.obj(scope[:i + 1] + [(n, nc[n])])
            return self.resource(n)
        if isinstance(node, ast.Subscript):
            base = ast.unparse(node.value)
            if base == 'Optional':
                return self.conv(node.slice, scope)  # nullability handled by caller
            if base == 'Literal':
                vals = lit_values(node)
                if vals == [True]: return {'const': True}
                return {'type': 'string', 'enum': vals}
            if base == 'Union':
                elts = node.slice.elts
                lits = [e for e in elts if isinstance(e, ast.Subscript) and ast.unparse(e.value) == 'Literal']
                rest = [e for e in elts if e not in lits]
                if lits and all(ast.unparse(r) == 'str' for r in rest):
                    vals = [v for l in lits for v in lit_values(l)]
                    return {'type': 'string', 'enum': vals}  # SDK keeps enums open; the spec's are closed
                return {'anyOf': [self.conv(e, scope) for e in elts]}
            if base == 'List':
                return {'type': 'array', 'items': self.conv(node.slice, scope)}
            if base in ('UntypedStripeObject', 'Dict'):
                inner = node.slice.elts[-1] if isinstance(node.slice, ast.Tuple) else node.slice
                return {'type': 'object', 'additionalProperties': self.conv(inner, scope)}
            if base == 'ListObject':  # kiosk addition: Customer's sources/subscriptions/tax_ids (only when expanded)
                return {'type': 'object', 'description': 'cut: list object not described here'}
            if base == 'ExpandableField':
                inner = self.conv(node.slice, scope)
                return {'anyOf': [{'type': 'string', 'maxLength': 5000}, inner]}
        raise ValueError('unhandled annotation ' + ast.unparse(node))
    def resource(self, name):
        if name in REFS: return {'$ref': '#/$defs/' + REFS[name]}
        CUT.add(name)
        return {'type': 'object', 'description': 'cut: expanded %s object not described here' % name}
    def obj(self, scope):
        path = '.'.join(n for n, _ in scope)
        cls = scope[-1][1]
        tsprops = self.ts.get(path)
        if tsprops is None and path.endswith('.Address') and 'Address' in self.ts:
            tsprops = self.ts['Address']  # shared Address interface in stripe-node
        if tsprops is None:
            self.notes.append('no TS interface for %s; required = non-Optional fields' % path)
        props, req = {}, []
        for b in cls.body:
            if not isinstance(b, ast.AnnAssign): continue
            name = ast.unparse(b.target)
            ann = b.annotation
            if ast.unparse(ann).startswith('ClassVar'): continue
            is_opt = isinstance(ann, ast.Subscript) and ast.unparse(ann.value) == 'Optional'
            if name == 'deleted' and is_opt and (tsprops is None or name in tsprops):
                continue  # only on deleted_* objects
            full = path + '.' + name
            if full in self.cut_props:
                sch = {'type': 'object', 'description': 'cut: sub-object not described here'}
            else:
                sch = self.conv(ann, scope)
            if tsprops is not None and name in tsprops:
                optional, nullable = tsprops[name]
            else:
                if tsprops is not None: self.notes.append('field %s not in TS types' % full)
                optional, nullable = is_opt, is_opt
            if nullable:
                sch = make_nullable(sch)
            props[name] = sch
            if not optional: req.append(name)
        if tsprops is not None:
            for k in tsprops:
                if k not in props and k != 'deleted':
                    self.notes.append('TS-only field %s.%s (kept out)' % (path, k))
        out = {'type': 'object', 'properties': props}
        if req: out['required'] = sorted(req)
        return out

def build():
    ts = {}
    for f in ['Terminal/Readers.d.ts', 'Terminal/Locations.d.ts', 'PaymentIntents.d.ts', 'Refunds.d.ts', '../shared.d.ts',
              # kiosk addition (issue 15): save a card, on-reader tipping
              'Terminal/Configurations.d.ts', 'SetupIntents.d.ts', 'Customers.d.ts', 'PaymentMethods.d.ts']:
        ts.update(parse_ts(os.path.join(TS, f)))
    cut_props = {'PaymentIntent.payment_method_options', 'PaymentIntent.next_action',
                 'PaymentIntent.payment_details', 'PaymentIntent.hooks', 'PaymentIntent.amount_details',
                 'PaymentIntent.presentment_details', 'Refund.next_action', 'Refund.destination_details',
                 'Refund.presentment_details'}
    REFS.update({'PaymentIntent': 'payment_intent', 'Location': 'terminal.location', 'Refund': 'refund',
                 'SetupIntent': 'setup_intent', 'Customer': 'customer', 'PaymentMethod': 'payment_method'})
    g = Gen(ts, cut_props)
    reader = load_classes(PY + '/terminal/_reader.py')['Reader']
    location = load_classes(PY + '/terminal/_location.py')['Location']
    pi = load_classes(PY + '/_payment_intent.py')['PaymentIntent']
    refund = load_classes(PY + '/_refund.py')['Refund']
    defs = {
        'terminal.reader': g.obj([('Reader', reader)]),
        'terminal.location': g.obj([('Location', location)]),
        'payment_intent': g.obj([('PaymentIntent', pi)]),
        'refund': g.obj([('Refund', refund)]),
    }
    # kiosk addition (issue 15): the objects of saving a card and of on-reader tipping
    defs['setup_intent'] = g.obj([('SetupIntent', load_classes(PY + '/_setup_intent.py')['SetupIntent'])])
    defs['customer'] = g.obj([('Customer', load_classes(PY + '/_customer.py')['Customer'])])
    defs['payment_method'] = g.obj([('PaymentMethod', load_classes(PY + '/_payment_method.py')['PaymentMethod'])])
    defs['terminal.configuration'] = g.obj([('Configuration', load_classes(PY + '/terminal/_configuration.py')['Configuration'])])
    apierr = g.obj([('Reader', reader), ('Action', nested(reader)['Action']),
                    ('ApiError', nested(nested(reader)['Action'])['ApiError'])])
    defs['api_errors'] = apierr
    # semantic rule (docs, not the spec): the action carries the sub-object named after its type
    act = defs['terminal.reader']['properties']['action']
    act_obj = act['anyOf'][0] if 'anyOf' in act else act
    act_obj['allOf'] = [{'if': {'properties': {'type': {'const': t}}, 'required': ['type']},
                         'then': {'required': [t]}}
                        for t in act_obj['properties']['type']['enum']]
    act_obj['x-note'] = 'allOf/if-then (sub-object named after type is present) added from the docs, not the spec'
    defs['error'] = {'type': 'object', 'required': ['error'],
                     'properties': {'error': {'$ref': '#/$defs/api_errors'}}}
    defs['terminal.reader.list'] = {
        'type': 'object', 'required': ['data', 'has_more', 'object', 'url'],
        'properties': {'object': {'type': 'string', 'enum': ['list']},
                       'data': {'type': 'array', 'items': {'$ref': '#/$defs/terminal.reader'}},
                       'has_more': {'type': 'boolean'},
                       'url': {'type': 'string', 'maxLength': 5000, 'pattern': '^/v1/terminal/readers'}}}
    defs['terminal.location.list'] = {
        'type': 'object', 'required': ['data', 'has_more', 'object', 'url'],
        'properties': {'object': {'type': 'string', 'enum': ['list']},
                       'data': {'type': 'array', 'items': {'$ref': '#/$defs/terminal.location'}},
                       'has_more': {'type': 'boolean'},
                       'url': {'type': 'string', 'maxLength': 5000, 'pattern': '^/v1/terminal/locations'}}}
    defs['terminal.configuration.list'] = {  # kiosk addition (issue 15)
        'type': 'object', 'required': ['data', 'has_more', 'object', 'url'],
        'properties': {'object': {'type': 'string', 'enum': ['list']},
                       'data': {'type': 'array', 'items': {'$ref': '#/$defs/terminal.configuration'}},
                       'has_more': {'type': 'boolean'},
                       'url': {'type': 'string', 'maxLength': 5000, 'pattern': '^/v1/terminal/configurations'}}}
    for name, d in [('terminal.reader.deleted', 'terminal.reader'), ('terminal.location.deleted', 'terminal.location'),
                    ('terminal.configuration.deleted', 'terminal.configuration')]:
        defs[name] = {'type': 'object', 'required': ['deleted', 'id', 'object'],
                      'properties': {'deleted': {'const': True}, 'id': {'type': 'string'},
                                     'object': {'type': 'string', 'enum': [d]}}}
    rd = defs['terminal.reader.deleted']  # DeletedReader in stripe-node also has these two
    rd['properties']['device_type'] = defs['terminal.reader']['properties']['device_type']
    rd['properties']['serial_number'] = {'type': 'string'}
    rd['required'] = ['deleted', 'device_type', 'id', 'object', 'serial_number']
    # fixtures cross-check
    fx = json.load(open(FIXTURES))['resources'] if FIXTURES else {}
    for k in [k for k in ['terminal.reader', 'terminal.location', 'payment_intent', 'refund'] if k in fx]:
        missing = [r for r in defs[k].get('required', []) if r not in fx[k]]
        extra = [f for f in fx[k] if f not in defs[k]['properties']]
        if missing or extra:
            g.notes.append('fixtures3.json %s: required-but-absent-in-fixture=%s fixture-only=%s' % (k, missing, extra))
    bundle = {
        '$schema': 'https://json-schema.org/draft/2020-12/schema',
        'title': 'Stripe objects used by the kiosk (Terminal server-driven), JSON Schema 2020-12 bundle',
        'x-source': {
            'method': 'Generated from Stripe SDK code that Stripe generates from its OpenAPI spec, because '
                      'openapi/spec3.json (>4 MiB) was not available in the stored stripe/openapi snapshot.',
            'types_enums_integers': 'stripe (PyPI) %s, API version %s' % (PY_VERSION, PY_API),
            'required_nullable': 'stripe (npm) %s TypeScript types, OPENAPI_VERSION %s '
                                 '(a property without "?" is required; "| null" is nullable)' % (TS_VERSION, TS_OPENAPI),
            'cross_check': 'stripe/openapi openapi/fixtures3.json at f6c2a48fbac2819d1feba8143d942ffc65e1c0d2'
                           if FIXTURES else 'none',
            'generator': 'gen_stripe_schema.py',
            'enums': 'closed (the SDKs accept unknown strings for forward compatibility; the API spec lists closed enums)',
            'unknown_properties': 'allowed (as in the OpenAPI spec); validate_stripe_json.py --strict forbids them',
        },
        'x-cut': {
            'expanded_resources_replaced_by_plain_object': sorted(CUT),
            'sub_objects_replaced_by_plain_object': sorted(cut_props),
        },
        'x-notes': g.notes,
        '$defs': defs,
    }
    return bundle

def _read(path, pattern):
    m = re.search(pattern, open(path).read())
    return m.group(1) if m else '?'


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description='regenerate stripe-openapi-terminal.json')
    ap.add_argument('--py', required=True, help='directory of the installed stripe-python package (.../stripe)')
    ap.add_argument('--ts', required=True, help='root of the unpacked stripe npm package (has esm/resources)')
    ap.add_argument('--fixtures', help='stripe/openapi openapi/fixtures3.json, for a cross-check (optional)')
    ap.add_argument('-o', '--output', default='stripe-openapi-terminal.json')
    a = ap.parse_args()
    PY, TS, FIXTURES = a.py, os.path.join(a.ts, 'esm', 'resources'), a.fixtures
    PY_VERSION = _read(os.path.join(PY, '_version.py'), r'VERSION = "([^"]+)"')
    PY_API = _read(os.path.join(PY, '_api_version.py'), r'CURRENT = "([^"]+)"')
    TS_VERSION = open(os.path.join(a.ts, 'VERSION')).read().strip()
    TS_OPENAPI = open(os.path.join(a.ts, 'OPENAPI_VERSION')).read().strip()
    b = build()
    with open(a.output, 'w') as fh:
        json.dump(b, fh, indent=1)
        fh.write('\n')
    print('wrote', a.output, list(b['$defs']), os.path.getsize(a.output), 'bytes')
    for n in b['x-notes']:
        print('note:', n)
