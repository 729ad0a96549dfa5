(()=>{function g(){for(let e of document.cookie.split(";")){let[o,...t]=e.trim().split("=");if(o==="vg_csrf")return decodeURIComponent(t.join("="))}return""}function h(e){return fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"content-type":"application/json",accept:"application/json","X-CSRF-Token":g()},body:e})}function s(e,o){let t=JSON.stringify({query:e,variables:o}),r=h(t);r.catch(()=>{}),window.vgStarted={body:t,response:r}}var i="disputes { property values { source value } }";var w=50;var d="projects programmes byHealth { green amber red unknown } budget actualCost keyResultProgress rag ragReason openBudget progress benefits { unit expected realised benefits } accountable { id name kind }",c="owners { id name kind } sponsors { id name kind }",l="status health budget actualCost startDate endDate manager { id name kind } sponsors { id name kind }",n="paths(limit: 1) { length nodes { id name kind } relations { type from { id } to { id } } }",p="item { id name kind ... on Project { health budget programme { id name } } ... on Programme { health budget } }",u=`
  deliveredBy(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${p} ${n} } } }
  projectCount: deliveredBy(kinds: [PROJECT], first: 1) { totalCount }
  programmes: deliveredBy(kinds: [PROGRAMME], first: 500) {
    totalCount edges { node { item { id name kind ... on Programme { projects { id } } } } }
  }`,f=`query($id: ID!, $first: Int!) {
  display { currency }
  entity(id: $id) {
    id name kind sources
    ... on Objective { ${c} delivery { ${d} } ${u} }
    ... on Goal { ${c} delivery { ${d} } ${u} }
    ... on Project { ${l} progress programme { id name kind } }
    ... on Programme { ${l} }
  }
}`,q=`query($id: ID!) {
  entity(id: $id) {
    id sources properties ${i}
    history(first: 1000) { property source }
    out: relations(direction: OUT) { type to { id name kind } sources }
    in: relations(direction: IN) { type from { id name kind } sources }
  }
}`,G=`query($id: ID!, $first: Int!, $after: String!) {
  whatDelivers(target: $id, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { ${p} ${n} } } }
}`,W=`query($id: ID!, $first: Int!) {
  whatDelivers(target: $id, first: $first) { edges { node { item { id } ${n} } } }
}`,J=`query($id: ID!) {
  whyExists(item: $id) { target { id name kind } ${n} }
  impact(item: $id) { dependents { id name kind } affected { id name kind } }
}`;function b(){let e=location.pathname.slice(8);return decodeURIComponent(e)}function m(){return{id:b(),first:w}}s(f,m());})();
